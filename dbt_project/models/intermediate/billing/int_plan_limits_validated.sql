-- Plan limits that passed staging, checked against the usable plans.
{{ validated_raw_rows('plan_limits', references={'plan_id': ref('int_plans_validated')}) }}
