-- The latest version of each outgoing document (by its change time), soft-deleted ones removed.
{{ config(materialized='view') }}
{{ latest_document_db_rows(ref('stg_document_db__outgoing_documents'), 'document_id') }}
