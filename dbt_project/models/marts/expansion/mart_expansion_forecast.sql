-- Next quarter's expansion MRR and the backtest of the last 4 complete quarters (DECISIONS.md, "The
-- expansion forecast"): the rows the Dagster asset forecast/expansion_forecast computes in Python
-- (orchestration/expansion_forecast.py) from this build's mart_mrr_bridge and writes into the source table
-- forecast.expansion_forecast, published here with the contract's types. Rows are kept only when they were
-- computed from this build's bridge: the same scoring month and the same Σ expansion_mrr through it (a
-- table left by an earlier build is not published). A build without the asset (dbt run by hand,
-- PostgreSQL, Spark) has no such table: no rows, and a warning.
{%- set written = source('forecast', 'expansion_forecast') %}
{%- set written_exists = execute and adapter.get_relation(
    database=written.database, schema=written.schema, identifier=written.identifier
) is not none %}
{%- if execute and not written_exists %}
    {%- do exceptions.warn(
        "mart_expansion_forecast: " ~ written ~ " does not exist (the forecast is computed by the Dagster job, "
        ~ "saas-warehouse build); the mart has no rows."
    ) %}
{%- endif %}
with scoring_month as (
    select {{ add_months(month_start(as_of_date()), -1) }} as month
),

bridge_through_scoring_month as (
    select sum(bridge.expansion_mrr) as expansion_mrr_total
    from ({{ mrr_bridge_total() }}) as bridge
    inner join scoring_month
        on bridge.month <= scoring_month.month
),

written_rows as (
    {%- if written_exists %}
    select
        quarter_start,
        is_backtest,
        forecast_expansion_mrr,
        forecast_low,
        forecast_high,
        actual_expansion_mrr,
        abs_pct_error,
        method,
        data_through_month,
        scoring_month,
        input_expansion_mrr_total
    from {{ written }}
    {%- else %}
    select
        cast(null as date) as quarter_start,
        cast(null as boolean) as is_backtest,
        cast(null as decimal(38, 2)) as forecast_expansion_mrr,
        cast(null as decimal(38, 2)) as forecast_low,
        cast(null as decimal(38, 2)) as forecast_high,
        cast(null as {{ money_type() }}) as actual_expansion_mrr,
        cast(null as decimal(38, 10)) as abs_pct_error,
        cast(null as {{ text_type() }}) as method,
        cast(null as date) as data_through_month,
        cast(null as date) as scoring_month,
        cast(null as {{ money_type() }}) as input_expansion_mrr_total
    from scoring_month
    where 1 = 0
    {%- endif %}
),

rows_of_this_bridge as (
    select written_rows.*
    from written_rows
    inner join scoring_month
        on written_rows.scoring_month = scoring_month.month
    inner join bridge_through_scoring_month
        on written_rows.input_expansion_mrr_total = bridge_through_scoring_month.expansion_mrr_total
),

final as (
    select
        cast(quarter_start as date) as quarter_start,
        cast(is_backtest as boolean) as is_backtest,
        cast(forecast_expansion_mrr as decimal(38, 2)) as forecast_expansion_mrr,
        cast(forecast_low as decimal(38, 2)) as forecast_low,
        cast(forecast_high as decimal(38, 2)) as forecast_high,
        cast(actual_expansion_mrr as {{ money_type() }}) as actual_expansion_mrr,
        cast(abs_pct_error as decimal(38, 10)) as abs_pct_error,
        cast(method as {{ text_type() }}) as method,
        cast(data_through_month as date) as data_through_month
    from rows_of_this_bridge
)

select * from final
