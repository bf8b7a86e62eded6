-- One row per distinct raw plan row, typed, with rejection_reason set when it cannot be used
-- (staged_raw_table: the model's own checks below, then duplicates of a plan_id). A blank
-- billing_interval_count is 1.
{% call staged_raw_table('plans', defaults={'billing_interval_count': '1'}) %}
    {{ unusable_value_reasons(
        'plans', ['plan_id', 'product_id', 'plan_name', 'tier_rank', 'pricing_model', 'billing_interval']
    ) }}
    {{ unusable_value_reasons('plans', ['billing_interval_count'], blank_allowed=true) }}
    when billing_interval_count <= 0
        then 'billing_interval_count ' || trim(billing_interval_count_raw) || ' is not positive'
    {{ unusable_value_reasons('plans', ['list_price'], blank_allowed=true) }}
    when list_price is null and pricing_model <> 'usage' then 'missing list_price on a ' || pricing_model || ' plan'
    when list_price < 0 then 'negative list_price ' || trim(list_price_raw)
    {{ unusable_value_reasons('plans', ['currency']) }}
{% endcall %}
