using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>
/// Under /api a query parameter the endpoint does not take is 400 <c>unknown_parameter</c> naming it: a misspelt filter
/// (<c>?pref=27</c> for <c>?prefecture=27</c>, <c>?flags=overdue</c> for <c>?flag=overdue</c>) answered the whole
/// nation as if filtered (a tester's finding). What an endpoint takes: its handler's parameters that binding may read from
/// the query (by name, or the <see cref="FromQueryAttribute"/> name) and those it reads by hand, declared with
/// <see cref="QueryParameters.WithQueryParameter{TBuilder}"/>; names compared ignoring case, as binding does. An endpoint
/// without a handler method, or with a parameter that binds itself (<c>BindAsync</c>), is left as it is.
/// </summary>
public static class UnknownParameters
{
    public const string Code = "unknown_parameter";

    // Weakly keyed: an endpoint's request delegate holds its host's services, so a strong static map kept every host
    // that ever ran in the process alive (the API tests start a host per class: 18 GB resident in CI).
    private static readonly ConditionalWeakTable<Endpoint, TakenNames> Taken = [];

    private sealed record TakenNames(HashSet<string>? Names);

    /// <summary>The first query name <paramref name="endpoint"/> does not take, in query order; null when it takes them all (or is not checked).</summary>
    public static string? First(Endpoint endpoint, IQueryCollection query)
    {
        if (Taken.GetValue(endpoint, static e => new TakenNames(Names(e))).Names is not { } names)
        {
            return null;
        }

        foreach (var (name, _) in query)
        {
            if (!names.Contains(name))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>The refusal, in Japanese and English, listing what the endpoint takes.</summary>
    public static IResult Refuse(Endpoint endpoint, string name)
    {
        var taken = Taken.TryGetValue(endpoint, out var entry) && entry.Names is { Count: > 0 } names ? string.Join(", ", names.Order(StringComparer.Ordinal)) : null;
        return Problems.BadRequest(Problems.Named(name), Code,
            $"クエリパラメーター「{Problems.Shown(name)}」はこの API にはありません。" + (taken is null ? "クエリパラメーターは取りません。" : $"使えるのは {taken} です。"),
            $"This endpoint has no query parameter '{Problems.Shown(name)}'. " + (taken is null ? "It takes none." : $"It takes: {taken}."));
    }

    /// <summary>
    /// Whether a handler parameter of <paramref name="type"/> can come from the query: text, an enum, or a type with a
    /// static TryParse (numbers, dates, Guid…), or an array of those. Anything else a minimal API takes from the services
    /// (IAuditLog, ForecastService…): it is no query parameter, and the refusal must not offer its name (a breaker's
    /// finding: ?audit=x was taken silently on the change feeds, and "audit" listed as a parameter).
    /// </summary>
    internal static bool FromQueryText(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsArray)
        {
            return FromQueryText(type.GetElementType()!);
        }

        return type == typeof(string) || type == typeof(Microsoft.Extensions.Primitives.StringValues) || type.IsEnum
            || type.GetMethods(BindingFlags.Public | BindingFlags.Static).Any(m => m.Name == "TryParse");
    }

    private static HashSet<string>? Names(Endpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<MethodInfo>() is not { } method)
        {
            return null;
        }

        var route = (endpoint as RouteEndpoint)?.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in method.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            if (type.GetMethod("BindAsync", BindingFlags.Public | BindingFlags.Static) is not null || parameter.GetCustomAttribute<AsParametersAttribute>() is not null)
            {
                return null; // reads what it likes
            }

            if (parameter.GetCustomAttribute<FromServicesAttribute>() is not null || parameter.GetCustomAttribute<FromHeaderAttribute>() is not null
                || parameter.GetCustomAttribute<FromBodyAttribute>() is not null || parameter.GetCustomAttribute<FromFormAttribute>() is not null
                || type == typeof(HttpContext) || type == typeof(HttpRequest) || type == typeof(HttpResponse) || type == typeof(CancellationToken) || type == typeof(ClaimsPrincipal)
                || !FromQueryText(type))
            {
                continue;
            }

            var name = parameter.GetCustomAttribute<FromQueryAttribute>()?.Name ?? parameter.GetCustomAttribute<FromRouteAttribute>()?.Name ?? parameter.Name;
            if (name is not null && !route.Contains(name))
            {
                names.Add(name);
            }
        }

        foreach (var declared in endpoint.Metadata.GetOrderedMetadata<DeclaredQueryParameter>())
        {
            names.Add(declared.Name);
        }

        return names;
    }
}
