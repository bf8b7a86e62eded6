{#- SQL patterns that several models share, one macro each, so that a report grid or a chain of lookups is
    written once. Relations and columns are names (CTEs of the calling model); the SQL stays lowercase. -#}

{#- One row per value, in a column: `select 'a' as <column> union all select 'b' as <column> ...`, the
    body of a CTE that lists the categories of a grid (segments, mechanisms). -#}
{% macro listed_values(column_name, values) -%}
    {%- for value in values %}
    select '{{ value }}' as {{ column_name }}
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- Every month × category, zeros included: the rows of `months` crossed with the rows of `categories`,
    with the measures of `totals` (one row per month and category, or none) and 0 where it has no row. Both
    `months` and `totals` have a column month; `month_columns` are carried from `months` as they are. -#}
{% macro zero_filled_grid(months, categories, category_column, totals, measures, month_columns=[]) -%}
    select
        {{ months }}.month,
        {{ categories }}.{{ category_column }},
        {%- for column in month_columns %}
        {{ months }}.{{ column }},
        {%- endfor %}
        {%- for measure in measures %}
        coalesce({{ totals }}.{{ measure }}, 0) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ months }}
    cross join {{ categories }}
    left join {{ totals }}
        on {{ months }}.month = {{ totals }}.month
        and {{ categories }}.{{ category_column }} = {{ totals }}.{{ category_column }}
{%- endmacro %}


{#- The LEFT JOIN clauses (placed after `from <base>`) that bring each relation's row with the same key,
    in order: `left join r on <base>.<key> = r.<key>` for every r. -#}
{% macro left_join_each(base, relations, key) -%}
    {%- for relation in relations %}
    left join {{ relation }}
        on {{ base }}.{{ key }} = {{ relation }}.{{ key }}
    {%- endfor %}
{%- endmacro %}


{#- The exact median of a decimal column per group (the body of a CTE): the middle value, or the mean of the
    two middle values for an even count, as decimal(38, 6) money (exact_divide, rounded half away from zero
    to 6 decimals). Plain window functions, so it is the same on every engine; the median macro's
    percentile functions interpolate in double precision on DuckDB. Nulls must be filtered out first. -#}
{% macro exact_median(relation, group_columns, value_column) -%}
    select
        {{ group_columns | join(', ') }},
        {{ exact_divide('sum(' ~ value_column ~ ')', 'count(*)') }} as median_value
    from (
        select
            {{ group_columns | join(', ') }},
            {{ value_column }},
            row_number() over (
                partition by {{ group_columns | join(', ') }} order by {{ value_column }}
            ) as value_position,
            count(*) over (partition by {{ group_columns | join(', ') }}) as value_count
        from {{ relation }}
    ) as ordered_values
    where value_position * 2 in (value_count, value_count + 1, value_count + 2)
    group by {{ group_columns | join(', ') }}
{%- endmacro %}


{#- The level ranges of change points: each change's level holds from its month until the next change of
    the same key (valid_until_month, exclusive; null for the last). `changes` has a column month. -#}
{% macro next_change_month(changes, key_columns) -%}
    lead({{ changes }}.month) over (
        partition by {{ changes }}.{{ key_columns | join(', ' ~ changes ~ '.') }}
        order by {{ changes }}.month
    )
{%- endmacro %}


{#- The join condition of level ranges (valid_from_month, valid_until_month) onto the months they hold in:
    one row per month from the range's first month until the next change. -#}
{% macro level_holds_in_month(ranges, month) -%}
    {{ ranges }}.valid_from_month <= {{ month }}
    and ({{ ranges }}.valid_until_month > {{ month }} or {{ ranges }}.valid_until_month is null)
{%- endmacro %}
