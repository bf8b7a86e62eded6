-- The files of the landing folder, compared with this model's table of the previous build in this
-- warehouse file: status new, changed (different content: size or content hash; by modification time
-- only where a hash is missing), unchanged (same content, even when touched) or removed. build_scope
-- rebuilds everything when a file changed or was removed (D-32); otherwise build_customers_to_recompute
-- reads only the new files to find the customers to recompute (D-25).
{#- other engines have no listing and always build in full (D-25): no previous build to compare with -#}
{%- set previous = load_relation(this) if execute and target.type == 'duckdb' else none %}
with current_files as (
    {{ landing_file_listing() }}
),

previous_files as (
    select
        table_name,
        file_path,
        file_size,
        last_modified,
        content_hash
    {%- if previous is not none %}
    from {{ previous }}
    where status <> 'removed'
    {%- else %}
    from current_files
    where 1 = 0
    {%- endif %}
),

final as (
    select
        coalesce(current_files.table_name, previous_files.table_name) as table_name,
        coalesce(current_files.file_path, previous_files.file_path) as file_path,
        current_files.file_size,
        current_files.last_modified,
        current_files.content_hash,
        case
            when previous_files.file_path is null then 'new'
            when current_files.file_path is null then 'removed'
            when current_files.file_size <> previous_files.file_size then 'changed'
            when current_files.content_hash <> previous_files.content_hash then 'changed'
            when current_files.content_hash = previous_files.content_hash then 'unchanged'
            -- no hash on one side (a file of 4 GiB or more): by modification time
            when current_files.last_modified <> previous_files.last_modified then 'changed'
            else 'unchanged'
        end as status,
        {{ 'true' if previous is not none else 'false' }} as has_previous_build
    from current_files
    full outer join previous_files
        on current_files.file_path = previous_files.file_path
)

select * from final
