-- The latest version of each incoming document (by its change time), soft-deleted ones removed.
{{ config(materialized='view') }}
{{ latest_document_db_rows(ref('stg_document_db__incoming_documents'), 'document_id') }}
