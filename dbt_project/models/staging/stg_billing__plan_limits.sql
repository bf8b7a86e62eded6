-- One row per distinct raw plan limit row (plan x metric), typed, with rejection_reason set when unusable
-- (staged_raw_table: the model's own checks below, then duplicates of a plan_id and metric). A blank
-- per_unit_limit is false.
{% call staged_raw_table('plan_limits', defaults={'per_unit_limit': 'false'}) %}
    {{ unusable_value_reasons('plan_limits', ['plan_id', 'metric', 'limit_value']) }}
    {{ unusable_value_reasons('plan_limits', ['per_unit_limit'], blank_allowed=true) }}
    when limit_value < 0 then 'negative limit_value ' || trim(limit_value_raw)
{% endcall %}
