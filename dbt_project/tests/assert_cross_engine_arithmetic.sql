-- The arithmetic macros give the hand-computed result on whichever engine builds (DECISIONS.md D-27).
-- Returns one row per case that does not. Every value is cast to decimal(38, 10) (a union takes the type of
-- its first branch on some engines).
--   annualised churn of 48 churned of 1 577: 1 − (1 − 0.0304375396)^12 = 0.30990400785000092 → 0.3099040079
--     (the digits after the tenth decimal are 5000009: a double-precision power rounds either way);
--   0.5 monthly: 1 − 0.5^12 = 0.999755859375 → 0.9997558594;
--   exact_divide(−1, 2 000 000) = −0.0000005 → −0.000001 (half away from zero);
--   exact_divide(100, 3) = 33.333333; ratio(2, 3) = 0.6666666667; ratio(1, 0) is null;
--   ceil_divide(3.0000001, 1) = 4 (the 6-decimal quotient 3.000000 is one short), ceil_divide(6, 2) = 3,
--   ceil_divide(2.9999999, 1) = 3 (the 6-decimal quotient 3.000000 is right).
with cases as (
    select
        'annualised churn 48 / 1577' as case_name,
        cast({{ annualized_churn_rate('cast(0.0304375396 as decimal(38, 10))') }} as decimal(38, 10)) as actual,
        cast(0.3099040079 as decimal(38, 10)) as expected
    union all
    select
        'annualised churn 0.5' as case_name,
        cast({{ annualized_churn_rate('cast(0.5 as decimal(38, 10))') }} as decimal(38, 10)) as actual,
        cast(0.9997558594 as decimal(38, 10)) as expected
    union all
    select
        'exact_divide half away from zero' as case_name,
        cast({{ exact_divide('cast(-1 as decimal(38, 6))', 'cast(2000000 as decimal(38, 6))') }} as decimal(38, 10)) as actual,
        cast(-0.000001 as decimal(38, 10)) as expected
    union all
    select
        'exact_divide 100 / 3' as case_name,
        cast({{ exact_divide('cast(100 as decimal(38, 6))', 'cast(3 as decimal(38, 6))') }} as decimal(38, 10)) as actual,
        cast(33.333333 as decimal(38, 10)) as expected
    union all
    select
        'ratio 2 / 3' as case_name,
        cast({{ ratio('cast(2 as decimal(38, 6))', 'cast(3 as decimal(38, 6))') }} as decimal(38, 10)) as actual,
        cast(0.6666666667 as decimal(38, 10)) as expected
    union all
    select
        'ceil_divide just above a whole number' as case_name,
        cast({{ ceil_divide('cast(3.0000001 as decimal(38, 7))', 'cast(1 as decimal(38, 6))') }} as decimal(38, 10)) as actual,
        cast(4 as decimal(38, 10)) as expected
    union all
    select
        'ceil_divide of a whole quotient' as case_name,
        cast({{ ceil_divide('cast(6 as decimal(38, 6))', 'cast(2 as decimal(38, 6))') }} as decimal(38, 10)) as actual,
        cast(3 as decimal(38, 10)) as expected
    union all
    select
        'ceil_divide just below a whole number' as case_name,
        cast({{ ceil_divide('cast(2.9999999 as decimal(38, 7))', 'cast(1 as decimal(38, 6))') }} as decimal(38, 10)) as actual,
        cast(3 as decimal(38, 10)) as expected
),

final as (
    select
        case_name,
        actual,
        expected
    from cases
    where actual <> expected or actual is null
    union all
    select
        'ratio with a zero denominator' as case_name,
        {{ ratio('cast(1 as decimal(38, 6))', 'cast(0 as decimal(38, 6))') }} as actual,
        cast(null as decimal(38, 10)) as expected
    from (select 1 as one) as one_row
    where {{ ratio('cast(1 as decimal(38, 6))', 'cast(0 as decimal(38, 6))') }} is not null
)

select * from final
