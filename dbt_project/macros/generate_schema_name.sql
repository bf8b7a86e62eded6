{#- Schemas are named exactly as configured (staging, intermediate, marts, reference) so that BI tools
    read `marts.<model>` whatever the target; without a custom schema the target's schema is used. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
