{#- The columns of each landing dataset, as typed in include/parmetrics/landing/schemas.py. Used only to
    give an empty landing a typed, empty relation: read_parquet over a glob that matches nothing is an
    error, and a first build (or a test) must work before anything has landed. Keep in step with the
    Arrow schemas; staging casts every column, so a mismatch fails loudly in the empty-landing test. -#}
{% macro landing_columns(source_name, dataset) -%}
    {%- set ts = 'timestamp' -%}
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
    } -%}
    {%- set key = source_name ~ '.' ~ dataset -%}
    {%- if key not in columns -%}
        {{ exceptions.raise_compiler_error('Unknown landing dataset ' ~ key) }}
    {%- endif -%}
    {{ return(columns[key]) }}
{%- endmacro %}


{#- The committed batches of one landing dataset, as a relation. Only `batch=*` directories are read:
    a batch being written lives in a hidden `.batch=<id>.tmp-…` sibling that this glob never matches.
    The glob is checked when the model runs (not at parse time), so an empty dataset yields a typed,
    empty relation instead of a read_parquet error. -#}
{% macro landing_relation(source_name, dataset) -%}
    {%- set pattern = env_var('PARMETRICS_DATA_DIR') ~ '/landing/' ~ source_name ~ '/' ~ dataset
        ~ '/batch=*/*.parquet' -%}
    {%- set has_files = true -%}
    {%- if execute -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
        {%- set has_files = found.columns[0].values()[0] > 0 -%}
    {%- endif -%}
    {%- if has_files -%}
        read_parquet('{{ pattern }}', union_by_name = true, hive_partitioning = false)
    {%- else -%}
        (
            select
        {%- for name, data_type in landing_columns(source_name, dataset) %}
                cast(null as {{ data_type }}) as "{{ name }}"{{ "," if not loop.last }}
        {%- endfor %}
            where false
        )
    {%- endif -%}
{%- endmacro %}
