-- Public-investment disbursement as reported by the newest file of each month.
{{ config(materialized='view') }}
{{ newest_report_rows(ref('stg_finance__public_investment')) }}
