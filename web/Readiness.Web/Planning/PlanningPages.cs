using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Planning;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Components;

namespace Readiness.Web.Planning;

/// <summary>
/// The scenario editor's form post (plain HTML form with an antiforgery token, no script needed): saved → 303 to the
/// national forecast page showing the scenario against the baseline; refused → the editor again with the person's
/// input and the messages (422, 409 when someone else saved that name first).
/// </summary>
public static class PlanningPages
{
    /// <summary>The editor form's id, which the page's language switch submits (<see cref="LanguageSwitchSubmitsFormAttribute"/>).</summary>
    public const string ScenarioForm = "scenario-form";

    /// <summary>A field the editor carries while it shows faults: a language switch posted from there judges the input again.</summary>
    public const string ShownFaultsField = "shownFaults";

    public static IEndpointRouteBuilder MapPlanningPages(this IEndpointRouteBuilder app)
    {
        app.MapPost("/planning/scenarios", SaveAsync)
            .ExcludeFromDescription()
            .RequireAuthorization(PlanningPolicies.Scenarios)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            // The page's language switch submits the form here with ?language= (LanguageSwitchSubmitsForm): answered
            // as the editor with the input, nothing saved; the answer's own switch posts it back (KeepsWork...).
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new Readiness.Web.Components.Access.RestoresDraftAttribute(), new KeepsWorkOnLanguageSwitchAttribute(), FormFieldLimits.Scenario,
                new LanguageSwitchSubmitsFormAttribute(ScenarioForm, "/planning/scenarios"))
            // The editor page (a Razor component at the same path) takes GET only (DashboardSetup); the order keeps this
            // the one POST endpoint should the page ever handle a form of its own (two would be ambiguous: 500).
            .WithOrder(-1);
        return app;
    }

    private static async Task<IResult> SaveAsync(HttpContext http, IGrainFactory grains, ForecastService forecasts, IOptions<ReadinessAuthOptions> auth)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var values = new[] { "name", "description", "capacity", "shiftMonths", "shiftPrefecture", "unreportedRate", "version" }
            .ToDictionary(k => k, k => (string?)form[k].ToString(), StringComparer.Ordinal);
        // A language switch never saves: the editor again with what was typed, in the other language; a draft from the
        // page as it is (200), a form that showed faults with its faults judged again (422).
        var switching = LanguageSwitch.Requested(http) is not null;
        if (switching && form[ShownFaultsField] != "1")
        {
            return new RazorComponentResult<ScenarioEditorDocument>(new { Values = (IReadOnlyDictionary<string, string?>)values, Errors = (IReadOnlyList<ProblemError>)[] });
        }

        var errors = new List<ProblemError>();
        var capacity = new List<VendorCapacitySetting>();
        foreach (var (line, i) in (values["capacity"] ?? string.Empty).Split('\n').Select(l => TypedInput.Number(l) ?? string.Empty).Where(l => l.Length > 0).Select((l, i) => (l, i)))
        {
            var eq = line.LastIndexOf('=');
            if (eq <= 0 || !int.TryParse(line[(eq + 1)..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var perMonth))
            {
                errors.Add(new ProblemError("capacity", "invalid_line", $"{i + 1}行目は「ベンダ名=件数」の形で書いてください。", $"Line {i + 1} must read 'vendor=count'."));
                continue;
            }

            capacity.Add(new VendorCapacitySetting(line[..eq].Trim(), perMonth)); // normalized by PlanningApi.SaveAsync
        }

        var shifts = new List<TargetShiftInput>();
        if (!string.IsNullOrWhiteSpace(values["shiftMonths"]))
        {
            if (int.TryParse(TypedInput.Number(values["shiftMonths"]), NumberStyles.Integer, CultureInfo.InvariantCulture, out var months))
            {
                shifts.Add(new TargetShiftInput { PrefectureCode = TypedInput.Text(values["shiftPrefecture"]), Months = months });
            }
            else
            {
                errors.Add(new ProblemError("shiftMonths", "invalid_number", "月数は整数で入力してください。", "Give the months as a whole number."));
            }
        }

        double? rate = null;
        if (!string.IsNullOrWhiteSpace(values["unreportedRate"]))
        {
            if (double.TryParse(TypedInput.Number(values["unreportedRate"]), NumberStyles.Float, CultureInfo.InvariantCulture, out var r))
            {
                rate = r;
            }
            else
            {
                errors.Add(new ProblemError("unreportedRate", "invalid_number", "完了率は0より大きく1より小さい数で入力してください（例: 0.05）。", "Give the rate as a number between 0 and 1 (e.g. 0.05)."));
            }
        }

        // The version of the scenario replaced (the list shows it): empty for a new one; replacing one needs it, as over the API.
        long? version = null;
        if (!string.IsNullOrWhiteSpace(values["version"]))
        {
            if (long.TryParse(TypedInput.Number(values["version"]), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                version = v;
            }
            else
            {
                errors.Add(new ProblemError("version", "invalid_number", "版は0以上の整数で入力してください（新しく作るときは空欄）。", "Give the version as a whole number (empty for a new scenario)."));
            }
        }

        var input = new ScenarioInput(values["name"], values["description"], capacity, shifts, rate, version);
        if (errors.Count > 0 || switching)
        {
            // Every field's fault at once: the rules judge what the form could read (a name, a description) besides.
            errors.AddRange(PlanningApi.Judge(input).Errors.Select(e => new ProblemError(e.Field, e.Code, e.MessageJa, e.MessageEn)));
        }
        else
        {
            var caller = ReadinessCaller.From(http.User, auth.Value)!;
            var (saved, _, problem) = await PlanningApi.SaveAsync(input, caller.ToActor(), PlanningApi.OriginOf(http), grains);
            if (saved is not null)
            {
                http.Response.Headers.Location = $"/planning?scenario={Uri.EscapeDataString(saved.Name)}";
                return Results.StatusCode(StatusCodes.Status303SeeOther);
            }

            if (problem?.ProblemDetails.Extensions.TryGetValue("errors", out var list) == true && list is IEnumerable<ProblemError> refused)
            {
                errors.AddRange(refused);
            }
        }

        return new RazorComponentResult<ScenarioEditorDocument>(new { Values = (IReadOnlyDictionary<string, string?>)values, Errors = (IReadOnlyList<ProblemError>)errors })
        {
            StatusCode = StatusCodes.Status422UnprocessableEntity,
        };
    }
}
