namespace MiSinkhole.Core.State;

/// <summary>
/// One change a user made on one instance, as the others apply it: its kind (<c>pause</c>,
/// <c>config</c>, <c>review</c>), what it is about (a device, a key, a name) and its value
/// (<see cref="ISharedChangeHandler"/> of that kind reads it). <see cref="Id"/> orders them.
/// </summary>
public sealed record SharedChange(long Id, string Instance, string Kind, string Subject, string Value, DateTimeOffset At);
