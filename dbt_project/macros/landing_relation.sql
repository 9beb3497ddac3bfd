{#- The columns of each landing dataset, as typed in include/parmetrics/landing/schemas.py. Used only to
    give an empty landing a typed, empty relation: read_parquet over a glob that matches nothing is an
    error, and a first build (or a test) must work before anything has landed. Keep in step with the
    Arrow schemas; staging casts every column, so a mismatch fails loudly in the empty-landing test. -#}
{% macro landing_columns(source_name, dataset) -%}
    {%- set ts = 'timestamp' -%}
    {%- set doc_lineage = [('updated_at', ts), ('deleted_at', ts), ('_batch_id', 'varchar')] -%}
    {%- set file_lineage = [('_period', 'varchar'), ('_version', 'integer'), ('_source_file', 'varchar')] -%}
    {%- set columns = {
        'dossier_api.dossiers': [
            ('MaHoSo', 'varchar'), ('MaDonVi', 'varchar'), ('MaTTHC', 'varchar'),
            ('KenhThucHien', 'integer'), ('LoaiDoiTuong', 'integer'), ('applicant_key', 'varchar'),
            ('NgayNopHoSo', ts), ('NgayTiepNhan', ts), ('NgayHenTra', ts), ('NgayKetThucXuLy', ts),
            ('NgayTra', ts), ('TrangThaiHoSo', 'integer'), ('DuocThanhToanTrucTuyen', 'integer'),
            ('DanhSachLePhi', 'struct("MaPhiLePhi" varchar, "Gia" double)[]'),
            ('TaiLieuNop', 'struct("MaThanhPhanHoSo" varchar, "DuongDanTaiTepTin" varchar, "DuocSoHoa" integer, '
                ~ '"TaiSuDung" integer, "DuocLayTuKhoDMQG" integer)[]'),
            ('DanhSachGiayToKetQua', 'struct("MaGiayTo" varchar, "DuongDanTepTinKetQua" varchar)[]'),
            ('DanhSachHoSoBoSung', 'struct("NgayYeuCauBoSung" timestamp, "NgayTiepNhanBoSung" timestamp)[]'),
            ('DanhSachPhieuXinLoi', 'struct("NgayXinLoi" timestamp, "NgayHenTraMoi" timestamp, "LyDo" varchar)[]'),
            ('MucDoHaiLong', 'integer'), ('TaiKhoanDuocXacThucVoiVNeID', 'integer'),
            ('NgayDongBoDVCQG', ts), ('NgayCapNhat', ts), ('_batch_id', 'varchar'),
        ],
        'dossier_api.dossier_events': [
            ('MaHoSo', 'varchar'), ('STT', 'integer'), ('TrangThai', 'integer'), ('ThoiDiemXuLy', ts),
            ('ThoiDiemGhiNhan', ts), ('PhongBanXuLy', 'varchar'), ('NgayKetThucTheoQuyDinh', ts),
            ('_batch_id', 'varchar'),
        ],
        'reference.don_vi': [
            ('ma_don_vi', 'varchar'), ('ten_don_vi', 'varchar'), ('cap', 'varchar'),
            ('ma_don_vi_cha', 'varchar'), ('hieu_luc_tu', 'date'), ('hieu_luc_den', 'date'),
            ('ma_don_vi_ke_thua', 'varchar'), ('_snapshot_month', 'varchar'), ('_source_file', 'varchar'),
        ],
        'reference.thu_tuc_hanh_chinh': [
            ('ma_tthc', 'varchar'), ('ten_tthc', 'varchar'), ('cap_thuc_hien', 'varchar'), ('linh_vuc', 'varchar'),
            ('thoi_han_ngay_lam_viec', 'integer'), ('muc_do_dvc', 'varchar'), ('du_dieu_kien_toan_trinh', 'boolean'),
            ('co_phi_le_phi', 'boolean'), ('ket_qua_la_giay_to', 'boolean'), ('ngay_qd_cong_bo', 'date'),
            ('ngay_hieu_luc', 'date'), ('ngay_het_hieu_luc', 'date'), ('ngay_cong_khai_csdl', 'date'),
            ('day_du_bo_phan', 'boolean'), ('_snapshot_month', 'varchar'), ('_source_file', 'varchar'),
        ],
        'reference.niem_yet_website': [
            ('ma_don_vi', 'varchar'), ('ma_tthc', 'varchar'), ('ngay_kiem_tra', 'date'),
            ('_snapshot_month', 'varchar'), ('_source_file', 'varchar'),
        ],
        'document_db.van_ban_di': [
            ('id', 'bigint'), ('ma_don_vi', 'varchar'), ('so_ky_hieu', 'varchar'), ('loai_van_ban', 'varchar'),
            ('ngay_ban_hanh', 'date'), ('do_mat', 'varchar'), ('phat_hanh_dien_tu', 'boolean'), ('ky_so', 'boolean'),
            ('gui_qua_truc', 'boolean'), ('noi_nhan_ngoai', 'integer'),
        ] + doc_lineage,
        'document_db.van_ban_den': [
            ('id', 'bigint'), ('ma_don_vi', 'varchar'), ('ngay_den', 'date'), ('nhan_qua', 'varchar'),
            ('han_xu_ly', 'date'), ('ngay_xu_ly_xong', 'date'), ('trang_thai', 'varchar'),
        ] + doc_lineage,
        'document_db.ho_so_cong_viec': [
            ('id', 'bigint'), ('ma_don_vi', 'varchar'), ('ngay_mo', 'date'), ('ngay_dong', 'date'),
            ('xu_ly_tren_mang', 'boolean'),
        ] + doc_lineage,
        'document_db.nhiem_vu': [
            ('id', 'bigint'), ('ma_don_vi', 'varchar'), ('so_van_ban_giao', 'varchar'), ('ngay_giao', 'date'),
            ('han_hoan_thanh', 'date'), ('ngay_hoan_thanh', 'date'), ('trang_thai', 'varchar'),
        ] + doc_lineage,
        'finance.thu_ngan_sach': [
            ('ky_bao_cao', 'varchar'), ('ma_khu_vuc', 'varchar'), ('ten_khu_vuc', 'varchar'),
            ('du_toan_nam', 'double'), ('thuc_hien_luy_ke', 'double'),
        ] + file_lineage,
        'finance.giai_ngan_dau_tu_cong': [
            ('ky_bao_cao', 'varchar'), ('ma_don_vi', 'varchar'), ('ma_du_an', 'varchar'), ('ten_du_an', 'varchar'),
            ('ke_hoach_von_nam', 'double'), ('giai_ngan_luy_ke', 'double'),
        ] + file_lineage,
        'finance.dang_ky_doanh_nghiep': [
            ('ky_bao_cao', 'varchar'), ('ma_don_vi_hanh_chinh', 'varchar'), ('so_dn_thanh_lap_moi', 'bigint'),
            ('von_dang_ky', 'double'), ('so_du_an_moi', 'bigint'), ('von_dau_tu_dang_ky', 'double'),
        ] + file_lineage,
    } -%}
    {%- set key = source_name ~ '.' ~ dataset -%}
    {%- if key not in columns -%}
        {{ exceptions.raise_compiler_error('Unknown landing dataset ' ~ key) }}
    {%- endif -%}
    {{ return(columns[key]) }}
{%- endmacro %}


{% macro landing_dataset_dir(source_name, dataset) -%}
    {{ return(env_var('PARMETRICS_DATA_DIR') ~ '/landing/' ~ source_name ~ '/' ~ dataset) }}
{%- endmacro %}


{#- The committed batches of one landing dataset, as a relation. Only `batch=*` directories are read:
    a batch being written lives in a hidden `.batch=<id>.tmp-…` sibling that this glob never matches.
    The glob is checked when the model runs (not at parse time), so an empty dataset yields a typed,
    empty relation instead of a read_parquet error. With `lineage`, each row also carries `filename`
    (the part file it came from) and `file_row_number` (its row in that file). -#}
{% macro landing_relation(source_name, dataset, lineage=false) -%}
    {%- set pattern = landing_dataset_dir(source_name, dataset) ~ '/batch=*/*.parquet' -%}
    {%- set has_files = true -%}
    {%- if execute -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
        {%- set has_files = found.columns[0].values()[0] > 0 -%}
    {%- endif -%}
    {%- if has_files -%}
        {{ _read_landing("'" ~ pattern ~ "'", lineage) }}
    {%- else -%}
        {{ _empty_landing(source_name, dataset, lineage) }}
    {%- endif -%}
{%- endmacro %}


{#- Only the given batches of a dataset (ids as in `batch=<id>`), e.g. the ones new since the last build
    (int_landing_batches). An empty list gives the typed, empty relation. -#}
{% macro landing_batches_relation(source_name, dataset, batch_ids, lineage=false) -%}
    {%- set dir = landing_dataset_dir(source_name, dataset) -%}
    {#- A window with no change commits a batch with a manifest and no part file: read_parquet over its
        pattern would fail ("No files found"), and it has no rows to read anyway. -#}
    {%- set with_parts = [] -%}
    {%- if execute and batch_ids | length > 0 -%}
        {%- set found = run_query(
            "select distinct regexp_extract(file, '/batch=([^/]+)/[^/]*$', 1) from glob('"
            ~ dir ~ "/batch=*/*.parquet')"
        ).columns[0].values() | list -%}
        {%- for batch_id in batch_ids if batch_id in found -%}
            {%- do with_parts.append(batch_id) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if with_parts | length == 0 -%}
        {{ _empty_landing(source_name, dataset, lineage) }}
    {%- else -%}
        {%- set patterns = [] -%}
        {%- for batch_id in with_parts -%}
            {%- do patterns.append("'" ~ dir ~ "/batch=" ~ batch_id ~ "/*.parquet'") -%}
        {%- endfor -%}
        {{ _read_landing('[' ~ patterns | join(', ') ~ ']', lineage) }}
    {%- endif -%}
{%- endmacro %}


{#- The ids of a dataset's batches whose change since the last completed build is one of `changes`
    (int_landing_batches: new, replaced, removed, unchanged). Read when the model runs. -#}
{% macro landing_batch_ids(source_name, dataset, changes=('new', 'replaced')) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select batch_id from {{ ref('int_landing_batches') }}
        where source_name = '{{ source_name }}' and dataset = '{{ dataset }}'
            and change in ('{{ changes | join("', '") }}')
        order by batch_id
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{% macro _read_landing(patterns, lineage) -%}
    {%- set options = 'union_by_name = true, hive_partitioning = false' -%}
    {%- if lineage %}{% set options = options ~ ', filename = true, file_row_number = true' %}{% endif -%}
    read_parquet({{ patterns }}, {{ options }})
{%- endmacro %}


{% macro _empty_landing(source_name, dataset, lineage) -%}
    (
        select
    {%- for name, data_type in landing_columns(source_name, dataset) %}
            cast(null as {{ data_type }}) as "{{ name }}"{{ "," if not loop.last or lineage }}
    {%- endfor %}
    {%- if lineage %}
            cast(null as varchar) as filename,
            cast(null as bigint) as file_row_number
    {%- endif %}
        where false
    )
{%- endmacro %}
