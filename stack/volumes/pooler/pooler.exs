# Creates the Spine's Supavisor tenant at start if it does not exist yet. Pool settings are
# read from the environment (POOLER_*) only then: change them later through Supavisor's API.
{:ok, _} = Application.ensure_all_started(:supavisor)

version =
  case Supavisor.Repo.query!("select version()") do
    %{rows: [[version]]} -> version
    _ -> nil
  end

tenant = System.fetch_env!("POOLER_TENANT_ID")

params = %{
  "external_id" => tenant,
  "db_host" => "db",
  "db_port" => System.fetch_env!("POSTGRES_PORT"),
  "db_database" => System.fetch_env!("POSTGRES_DB"),
  "require_user" => false,
  "auth_query" => "SELECT * FROM pgbouncer.get_auth($1)",
  "default_max_clients" => System.fetch_env!("POOLER_MAX_CLIENT_CONN"),
  "default_pool_size" => System.fetch_env!("POOLER_DEFAULT_POOL_SIZE"),
  "default_parameter_status" => %{"server_version" => version},
  "users" => [
    %{
      "db_user" => "pgbouncer",
      "db_password" => System.fetch_env!("POSTGRES_PASSWORD"),
      "mode_type" => System.fetch_env!("POOLER_POOL_MODE"),
      "pool_size" => System.fetch_env!("POOLER_DEFAULT_POOL_SIZE"),
      "is_manager" => true
    }
  ]
}

if !Supavisor.Tenants.get_tenant_by_external_id(tenant) do
  {:ok, _} = Supavisor.Tenants.create_tenant(params)
end
