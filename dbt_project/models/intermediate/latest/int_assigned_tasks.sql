-- The latest version of each assigned task (by its change time), soft-deleted ones removed.
{{ config(materialized='view') }}
{{ latest_document_db_rows(ref('stg_document_db__assigned_tasks'), 'task_id') }}
