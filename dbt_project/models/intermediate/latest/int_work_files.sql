-- The latest version of each work file (by its change time), soft-deleted ones removed.
{{ config(materialized='view') }}
{{ latest_document_db_rows(ref('stg_document_db__work_files'), 'work_file_id') }}
