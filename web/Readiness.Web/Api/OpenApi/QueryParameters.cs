using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Readiness.Web.Api.OpenApi;

/// <summary>
/// Query parameters in the API description that binding alone does not describe: the closed set a value must come from
/// (a value outside it is refused 400 <c>unknown_value</c>), and parameters a handler reads from the query itself.
/// </summary>
public static class QueryParameters
{
    /// <summary>Marks each named query parameter's schema with its allowed values (<c>enum</c>).</summary>
    public static TBuilder WithClosedValues<TBuilder>(this TBuilder builder, params (string Name, string[] Allowed)[] parameters)
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var (name, allowed) in parameters)
            {
                if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Query && p.Name == name) is { } parameter)
                {
                    parameter.Schema = ClosedSchema(allowed, defaultValue: null);
                }
            }

            return Task.CompletedTask;
        });

    /// <summary>Marks one query parameter's schema with its allowed values (<c>enum</c>) and the value taken when it is absent or empty (<c>default</c>).</summary>
    public static TBuilder WithClosedValue<TBuilder>(this TBuilder builder, string name, string[] allowed, string defaultValue)
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Query && p.Name == name) is { } parameter)
            {
                parameter.Schema = ClosedSchema(allowed, defaultValue);
            }

            return Task.CompletedTask;
        });

    private static OpenApiSchema ClosedSchema(string[] allowed, string? defaultValue) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. allowed.Select(v => (JsonNode)JsonValue.Create(v))],
        Default = defaultValue is null ? null : JsonValue.Create(defaultValue),
    };

    /// <summary>
    /// Declares each typed query parameter's schema from the record its handler reads it with
    /// (<see cref="QueryValue.Parameter"/>): an integer with its bounds and default, a day as <c>format: date</c>. The
    /// handler takes the value as text (to refuse it in words), which binding alone would declare a plain string.
    /// </summary>
    public static TBuilder WithTypedQuery<TBuilder>(this TBuilder builder, params QueryValue.Parameter[] parameters)
        where TBuilder : IEndpointConventionBuilder => builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var typed in parameters)
            {
                if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Query && p.Name == typed.Name) is { } parameter)
                {
                    parameter.Schema = typed switch
                    {
                        QueryValue.IntegerParameter i => new OpenApiSchema
                        {
                            Type = JsonSchemaType.Integer,
                            Format = "int32",
                            Minimum = i.Min.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            Maximum = i.Max.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            Default = JsonValue.Create(i.Default),
                        },
                        QueryValue.DayParameter => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" },
                        _ => parameter.Schema,
                    };
                }
            }

            return Task.CompletedTask;
        });

    /// <summary>Declares an optional string query parameter the handler reads by hand (so binding does not describe it).</summary>
    public static TBuilder WithQueryParameter<TBuilder>(this TBuilder builder, string name, string description, string example)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new DeclaredQueryParameter(name)).AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            if (!operation.Parameters.Any(p => p.In == ParameterLocation.Query && p.Name == name))
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name,
                    In = ParameterLocation.Query,
                    Description = description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    Example = JsonValue.Create(example),
                });
            }

            return Task.CompletedTask;
        });
}

/// <summary>A query parameter an endpoint's handler reads by hand (<see cref="QueryParameters.WithQueryParameter{TBuilder}"/>): taken by <see cref="UnknownParameters"/>.</summary>
public sealed record DeclaredQueryParameter(string Name);
