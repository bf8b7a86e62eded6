{#- The last non-null value of an expression over the rows before the current one (and the current one
    unless include_current is false): carries an item's state forward from event to event. -#}
{% macro fill_forward(expression, partition_by, order_by, include_current=true) -%}
    {{ return(adapter.dispatch('fill_forward', 'saas_warehouse')(expression, partition_by, order_by, include_current)) }}
{%- endmacro %}
{% macro default__fill_forward(expression, partition_by, order_by, include_current) -%}
    last_value({{ expression }} ignore nulls) over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and {{ 'current row' if include_current else '1 preceding' }}
    )
{%- endmacro %}
{#- PostgreSQL has no IGNORE NULLS: the non-null values of the frame, in order, and the last of them. -#}
{% macro postgres__fill_forward(expression, partition_by, order_by, include_current) -%}
    {%- set frame -%}
    over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and {{ 'current row' if include_current else '1 preceding' }}
    )
    {%- endset -%}
    (array_remove(array_agg({{ expression }}) {{ frame }}, null))[count({{ expression }}) {{ frame }}]
{%- endmacro %}
{% macro spark__fill_forward(expression, partition_by, order_by, include_current) -%}
    last({{ expression }}, true) over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and {{ 'current row' if include_current else '1 preceding' }}
    )
{%- endmacro %}
