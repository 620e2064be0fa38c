namespace Readiness.Web.Api.OpenApi;

/// <summary>
/// A view's string member that always holds <see cref="Wire.Name{TEnum}"/> of <see cref="EnumType"/>: the contract
/// declares it as that enum's schema (the one the write bodies use), while the member stays a string on the wire and in code.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class WireEnumAttribute(Type enumType) : Attribute
{
    public Type EnumType { get; } = enumType;
}
