-- The raw contract's products as the selected adapter derives them, as text (docs/adapters.md). stripe: one
-- per usable product; product_name = name (blank: the id); product_type = metadata saas_product_type when it
-- is core or add_on, else core; base_product_id = metadata saas_base_product_id. periods: one product,
-- playbook ("Subscription", core). contract: empty.
{%- set stripe_products = ref('stg_stripe__products') %}
{%- if source_kind() == 'stripe' %}
with products as (
    select * from {{ stripe_products }}
    where ignored_as is null and rejection_reason is null
),

final as (
    select
        id as product_id,
        coalesce(name, id) as product_name,
        case
            when {{ json_text('metadata', 'saas_product_type') }} in ('core', 'add_on')
                then {{ json_text('metadata', 'saas_product_type') }}
            else 'core'
        end as product_type,
        {{ json_text('metadata', 'saas_base_product_id') }} as base_product_id
    from products
)

select * from final
{%- elif source_kind() == 'periods' %}
select
    'playbook' as product_id,
    'Subscription' as product_name,
    'core' as product_type,
    cast(null as {{ text_type() }}) as base_product_id
{%- else %}
{{ adapter_no_rows('products') }}
{%- endif %}
