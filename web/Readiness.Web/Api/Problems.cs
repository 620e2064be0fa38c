using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;

namespace Readiness.Web.Api;

/// <summary>RFC 9457 problem details that name the field at fault, in Japanese and English.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string field, string ja, string en) => Create(StatusCodes.Status404NotFound, "Not found", field, ja, en);

    public static ProblemHttpResult BadRequest(string field, string ja, string en) => Create(StatusCodes.Status400BadRequest, "Invalid request", field, ja, en);

    public static ProblemHttpResult Create(int status, string title, string field, string ja, string en) =>
        TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = $"{ja} / {en}",
            Type = $"https://readiness.example/problems/{status}",
            Extensions =
            {
                ["errors"] = new[] { new { field, messageJa = ja, messageEn = en } },
            },
        });

    /// <summary>404 for a well-formed code that is not a municipality, 400 for a malformed code or a wrong check digit.</summary>
    public static ProblemHttpResult? CheckMunicipalityCode(string code)
    {
        if (!MunicipalityCode.IsValid(code))
        {
            return BadRequest("code",
                $"団体コード「{Truncate(code)}」が正しくありません（6桁、末尾は検査数字）。",
                $"'{Truncate(code)}' is not a valid 6-digit local government code (the last digit is a check digit).");
        }

        return ReadinessCatalog.Instance.IsMunicipality(code)
            ? null
            : NotFound("code", $"団体コード「{code}」の市区町村はありません。", $"No municipality has the code '{code}'.");
    }

    private static string Truncate(string text) => text.Length > 20 ? text[..20] + "…" : text;
}
