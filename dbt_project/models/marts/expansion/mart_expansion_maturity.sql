-- Expansion maturity stage (metrics spec §7), per month from the 13th month of history (where both
-- 12-month figures exist, as in mart_retention_ttm):
--   expansion_share_of_new_arr = Σ expansion / Σ (new + reactivation + expansion) over M−11..M (ARR = 12 × MRR)
--   nrr_ttm = mart_retention_ttm.nrr_ttm
--   stage = the highest stage of the seed expansion_maturity_thresholds whose two minimums are both met
--   (a blank minimum is always met; a null figure meets no minimum, so such a month is stage 1).
with bridge as (
    {{ mrr_bridge_total() }}
),

retention_ttm as (
    select
        month,
        nrr_ttm
    from {{ ref('mart_retention_ttm') }}
),

thresholds as (
    select * from {{ ref('expansion_maturity_thresholds') }}
),

trailing_sums as (
    select
        month,
        sum(expansion_mrr) over trailing_12_months as expansion_mrr_ttm,
        sum(new_mrr + reactivation_mrr + expansion_mrr) over trailing_12_months as new_arr_sources_mrr_ttm
    from bridge
    window trailing_12_months as (
        order by month
        rows between 11 preceding and current row
    )
),

figures as (
    select
        retention_ttm.month,
        {{ ratio('trailing_sums.expansion_mrr_ttm', 'trailing_sums.new_arr_sources_mrr_ttm') }}
            as expansion_share_of_new_arr,
        retention_ttm.nrr_ttm
    from retention_ttm
    inner join trailing_sums
        on retention_ttm.month = trailing_sums.month
),

-- the highest stage whose two minimums are met (null when none is)
stages as (
    select
        figures.month,
        figures.expansion_share_of_new_arr,
        figures.nrr_ttm,
        max(thresholds.stage) as stage
    from figures
    left join thresholds
        on (
            thresholds.min_expansion_share_of_new_arr is null
            or figures.expansion_share_of_new_arr >= thresholds.min_expansion_share_of_new_arr
        )
        and (thresholds.min_nrr_ttm is null or figures.nrr_ttm >= thresholds.min_nrr_ttm)
    group by
        figures.month,
        figures.expansion_share_of_new_arr,
        figures.nrr_ttm
),

final as (
    select
        stages.month,
        stages.expansion_share_of_new_arr,
        stages.nrr_ttm,
        cast(stages.stage as integer) as stage,
        thresholds.stage_name,
        {{ is_complete_month('stages.month') }} as is_complete
    from stages
    left join thresholds
        on stages.stage = thresholds.stage
)

select * from final
