-- The files of the landing folder, compared with the listing of the previous build in this warehouse
-- file: status new, changed (different content: size or content hash; by modification time only where a
-- hash is missing), unchanged (same content, even when touched) or removed. Incremental builds read only
-- the new files to find the customers to recompute (D-25); a changed file makes a full rebuild (D-32).
{#- other engines have no listing and always build in full (D-25): no previous build to compare with -#}
{%- set previous = load_relation(this) if execute and target.type == 'duckdb' else none %}
{#- a listing written before content hashes existed has no content_hash column: compare by time there -#}
{%- set previous_has_hash = previous is not none
    and 'content_hash' in adapter.get_columns_in_relation(previous) | map(attribute='name') | map('lower') | list %}
with current_files as (
    {{ landing_file_listing() }}
),

previous_files as (
    {%- if previous is not none %}
    select
        table_name,
        file_path,
        file_size,
        last_modified,
        {{ 'content_hash' if previous_has_hash else 'cast(null as ' ~ text_type() ~ ')' }} as content_hash
    from {{ previous }}
    where status <> 'removed'
    {%- else %}
    select
        table_name,
        file_path,
        file_size,
        last_modified,
        content_hash
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
            -- no hash on one side (a file of 4 GiB or more, or a listing from before hashes): by time
            when current_files.last_modified <> previous_files.last_modified then 'changed'
            else 'unchanged'
        end as status,
        {{ 'true' if previous is not none else 'false' }} as has_previous_build
    from current_files
    full outer join previous_files
        on current_files.file_path = previous_files.file_path
)

select * from final
