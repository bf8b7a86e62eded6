-- The customer health score per active customer and month, from the first month with usage through the
-- scoring month S (int_customer_health), with its components rounded to 2 decimals and its band
-- (macro health_band: at_risk < 40 <= neutral < 70 <= healthy). docs/expansion_intelligence.md.
with health as (
    select * from {{ ref('int_customer_health') }}
),

final as (
    select
        month,
        customer_id,
        health_score,
        {%- for component in health_score_components() %}
        cast(round({{ component }}_score, 2) as decimal(5, 2)) as {{ component }}_score,
        {%- endfor %}
        cast({{ health_band('health_score') }} as {{ text_type() }}) as health_band,
        {{ is_complete_month('month') }} as is_complete
    from health
)

select * from final
