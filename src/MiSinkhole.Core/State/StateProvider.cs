namespace MiSinkhole.Core.State;

/// <summary>Where the changes users make are shared (<c>State:Provider</c>).</summary>
public enum StateProvider
{
    /// <summary>This daemon alone: its config file, its <c>rules/local/</c>, its pauses in memory.</summary>
    Local,

    /// <summary>A PostgreSQL database (<c>State:ConnectionString</c>) that several instances share: each applies what the others changed.</summary>
    Postgres,
}
