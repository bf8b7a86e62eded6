-- One row per distinct raw exchange rate (date x currency), typed, with rejection_reason when unusable
-- (staged_raw_table: the model's own checks below, then duplicates of a rate_date and currency).
{% call staged_raw_table(
    'fx_rates',
    duplicate_reason='duplicate rate_date and currency with a different rate (kept one by content order)'
) %}
    {{ unusable_value_reasons('fx_rates', ['rate_date']) }}
    {{ earliest_valid_date_reason('rate_date_raw', 'rate_date', 'rate_date') }}
    {{ unusable_value_reasons('fx_rates', ['currency', 'rate_to_reporting']) }}
    when rate_to_reporting <= 0 then 'rate_to_reporting ' || trim(rate_to_reporting_raw) || ' is not positive'
{% endcall %}
