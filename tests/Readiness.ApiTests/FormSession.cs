using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The dashboard's edit forms driven over plain HTTP, as a browser without scripts would: sign in with a token (cookie),
/// read the municipality page for the form's antiforgery token and version, post the form fields.
/// </summary>
public sealed partial class FormSession : IDisposable
{
    private readonly HttpClient client;

    /// <summary>Where the forms are: "/municipalities/" (a municipality's page) or "/prefectures/" (a prefecture's own systems).</summary>
    private readonly string pages;

    private FormSession(HttpClient client, string pages = "/municipalities/")
    {
        this.client = client;
        this.pages = pages;
    }

    /// <summary>Signs in a prefecture's staff, whose forms (the systems it runs itself) are on /prefectures/{code}.</summary>
    public static Task<FormSession> SignInPrefectureAsync(ApiHost host, string prefectureCode, string? subject = null) =>
        SignInAsync(host.BaseAddress, host.Token(Readiness.Role.Prefecture, prefectureCode, subject ?? "form-user@pref" + prefectureCode), "/prefectures/", prefectureCode);

    /// <summary>Signs in national staff (the imports' pages); <see cref="PageAsync"/> then reads "/" + its argument.</summary>
    public static Task<FormSession> SignInNationalAsync(ApiHost host, string? subject = null) =>
        SignInAsync(host.BaseAddress, host.Token(Readiness.Role.National, null, subject ?? "form-user@digital.go.jp"), "/", "");

    /// <summary>Signs in with any token (e.g. an admin's); <see cref="PageAsync"/> then reads "/" + its argument.</summary>
    public static Task<FormSession> SignInTokenAsync(ApiHost host, string token) => SignInAsync(host.BaseAddress, token, "/", "");

    public static Task<FormSession> SignInAsync(ApiHost host, string code, string? subject = null) =>
        SignInAsync(host.BaseAddress, host.Token(Readiness.Role.Municipality, code, subject ?? "form-user@" + code), "/municipalities/", code);

    private static async Task<FormSession> SignInAsync(Uri baseAddress, string token, string pages, string code)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        using var signIn = await client.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["returnUrl"] = pages + code,
        }));
        Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.OK, $"sign-in: {signIn.StatusCode}");
        return new FormSession(client, pages);
    }

    public async Task<string> PageAsync(string code)
    {
        using var response = await client.GetAsync(pages + code);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"page: {response.StatusCode}");
        return html;
    }

    /// <summary>Posts <paramref name="fields"/> to the form whose action is <paramref name="action"/> (with its token and version).</summary>
    public async Task<(HttpStatusCode Status, string Html)> PostAsync(string code, string action, IReadOnlyDictionary<string, string> fields)
    {
        var html = await PageAsync(code);
        var start = html.IndexOf($"action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        var values = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Hidden(form, "__RequestVerificationToken"),
            ["version"] = Hidden(form, "version"),
            ["requestId"] = Hidden(form, "requestId"),
        };
        foreach (var (k, v) in fields)
        {
            values[k] = v;
        }

        using var response = await client.PostAsync(action, new FormUrlEncodedContent(values));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>As <see cref="PostAsync"/>, answering the status and the Location a save redirects to.</summary>
    public async Task<(HttpStatusCode Status, string? Location)> PostForLocationAsync(string code, string action, IReadOnlyDictionary<string, string> fields)
    {
        var opened = await OpenFormAsync(code, action);
        var values = new Dictionary<string, string>(opened);
        foreach (var (k, v) in fields)
        {
            values[k] = v;
        }

        using var response = await client.PostAsync(action, new FormUrlEncodedContent(values));
        return (response.StatusCode, response.Headers.Location?.OriginalString);
    }

    /// <summary>Opens the page and keeps the form's hidden fields (token, version, request id), to send later with <see cref="SendAsync"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> OpenFormAsync(string code, string action)
    {
        var html = await PageAsync(code);
        var start = html.IndexOf($"action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        return new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Hidden(form, "__RequestVerificationToken"),
            ["version"] = Hidden(form, "version"),
            ["requestId"] = Hidden(form, "requestId"),
        };
    }

    /// <summary>Posts a form opened earlier (<see cref="OpenFormAsync"/>) with <paramref name="fields"/>.</summary>
    public async Task<(HttpStatusCode Status, string Html)> SendAsync(string action, IReadOnlyDictionary<string, string> opened, IReadOnlyDictionary<string, string> fields)
    {
        var values = new Dictionary<string, string>(opened);
        foreach (var (k, v) in fields)
        {
            values[k] = v;
        }

        using var response = await client.PostAsync(action, new FormUrlEncodedContent(values));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Posts <paramref name="file"/> (multipart field "file") to the upload form whose action is <paramref name="action"/>
    /// on the page, with that form's antiforgery token, as the Excel panel's form sends it (to its action with <paramref name="query"/>,
    /// e.g. "?language=en", when given); the answer as sent.
    /// </summary>
    /// <param name="expectContinue">
    /// Send Expect: 100-continue: an answer the server gives before reading the body (a 413) then arrives instead of a
    /// broken pipe while the client is still sending.
    /// </param>
    public async Task<HttpResponseMessage> UploadAsync(string code, string action, byte[] file, string fileName, string? query = null, bool expectContinue = false)
    {
        var html = await PageAsync(code);
        using var content = new MultipartFormDataContent
        {
            { new StringContent(HiddenIn(html, action, "__RequestVerificationToken")), "__RequestVerificationToken" },
            { new ByteArrayContent(file), "file", fileName },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, action + query) { Content = content };
        request.Headers.ExpectContinue = expectContinue ? true : null;
        return await client.SendAsync(request);
    }

    /// <summary>Posts the form whose action is <paramref name="action"/> in <paramref name="html"/> (an answer page) with its hidden fields as they are.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string html, string action, params string[] hidden)
    {
        var values = hidden.ToDictionary(name => name, name => HiddenIn(html, action, name), StringComparer.Ordinal);
        values["__RequestVerificationToken"] = HiddenIn(html, action, "__RequestVerificationToken");
        using var content = new FormUrlEncodedContent(values);
        return await client.PostAsync(action, content);
    }

    /// <summary>The value of the hidden input <paramref name="name"/> of the form whose action is <paramref name="action"/>.</summary>
    private static string HiddenIn(string html, string action, string name)
    {
        var start = html.IndexOf($"action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        return Hidden(html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)], name);
    }

    /// <summary>
    /// Posts the form whose action is <paramref name="action"/> in <paramref name="html"/> with every hidden input it has,
    /// as a browser sends a form of hidden fields only (the language switch of a page answering a post).
    /// </summary>
    public async Task<HttpResponseMessage> SubmitHiddenAsync(string html, string action)
    {
        var start = html.IndexOf($"action=\"{WebUtility.HtmlEncode(action)}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        var values = new List<KeyValuePair<string, string>>();
        foreach (var input in Input().Matches(form).Select(m => m.Value).Where(i => i.Contains("type=\"hidden\"", StringComparison.Ordinal)))
        {
            values.Add(new(WebUtility.HtmlDecode(Name().Match(input).Groups[1].Value), WebUtility.HtmlDecode(Value().Match(input).Groups[1].Value)));
        }

        using var content = new FormUrlEncodedContent(values);
        return await client.PostAsync(action, content);
    }

    /// <summary>Posts <paramref name="content"/> as it is to <paramref name="action"/> (e.g. a chunked body), with the sign-in cookie.</summary>
    public Task<HttpResponseMessage> PostContentAsync(string action, HttpContent content, bool chunked = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        request.Headers.TransferEncodingChunked = chunked ? true : null;
        return client.SendAsync(request);
    }

    /// <summary>The value of the hidden input <paramref name="name"/> of the form whose action is <paramref name="action"/> in <paramref name="html"/>.</summary>
    public static string Hidden(string html, string action, string name) => HiddenIn(html, action, name);

    /// <summary>Sends <paramref name="request"/> with the sign-in cookie.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => client.SendAsync(request);

    /// <summary>GET with the sign-in cookie.</summary>
    public Task<HttpResponseMessage> GetAsync(string path) => client.GetAsync(path);

    public void Dispose() => client.Dispose();

    private static string Hidden(string form, string name)
    {
        var input = Input().Matches(form).Select(m => m.Value).FirstOrDefault(i => i.Contains($"name=\"{name}\"", StringComparison.Ordinal));
        Assert.True(input is not null, $"no input {name}");
        return WebUtility.HtmlDecode(Value().Match(input).Groups[1].Value);
    }

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex Input();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex Value();

    [GeneratedRegex("name=\"([^\"]*)\"")]
    private static partial Regex Name();
}
