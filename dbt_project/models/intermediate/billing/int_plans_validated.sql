-- Plans that passed staging, checked against products: a plan of an unknown (or rejected) product is
-- rejected, and so are the events and charges that use it. product_type comes from the product.
{{ validated_raw_rows(
    'plans',
    references={'product_id': ref('stg_billing__products')},
    carried={'product_id': ['product_type']}
) }}
