using System.Text.RegularExpressions;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Readiness.Web.Clients;

/// <summary>
/// The token endpoint's error codes as RFC 6749 §5.2 names each fault, where OpenIddict answers another: client
/// libraries branch on the code (retry with fewer scopes on <c>invalid_scope</c>, check their credentials on
/// <c>invalid_client</c>). OpenIddict's error identifiers (its <c>error_uri</c>) say which fault it found.
/// </summary>
public static class TokenErrors
{
    /// <summary>OpenIddict's identifier → the RFC's code.</summary>
    private static readonly Dictionary<string, string> Rfc6749 = new(StringComparer.Ordinal)
    {
        // "This client application is not allowed to use the specified scope": a scope beyond the client's grant.
        ["ID2051"] = Errors.InvalidScope,
        // "The 'client_secret' or 'client_assertion' parameter must be specified": no client authentication included.
        ["ID2057"] = Errors.InvalidClient,
    };

    /// <summary>
    /// The member that carries an error's description in Japanese beside <c>error_description</c>. RFC 6749 §5.2 limits
    /// <c>error_description</c> to printable ASCII (%x20-21 / %x23-5B / %x5D-7E), so it stays English, and allows a
    /// response more members: the people who read these (a vendor's or a municipality's IT staff) work in Japanese.
    /// </summary>
    public const string JapaneseMember = "error_description_ja";

    /// <summary>Rewrites <paramref name="response"/>'s <c>error</c> when OpenIddict's identifier has another RFC code.</summary>
    public static void Apply(OpenIddictResponse response)
    {
        if (response.Error is not null && response.ErrorUri is { } uri
            && Rfc6749.TryGetValue(uri[(uri.LastIndexOf('/') + 1)..], out var code))
        {
            response.Error = code;
        }
    }

    /// <summary>
    /// Adds the description in Japanese (<see cref="JapaneseMember"/>) to an error answer. Run after OpenIddict has made
    /// a 401's WWW-Authenticate header from the answer's members: a header takes ASCII only.
    /// </summary>
    public static void AddJapanese(OpenIddictResponse response)
    {
        if (response.Error is { } error)
        {
            response[JapaneseMember] = Japanese(error, response.ErrorDescription);
        }
    }

    /// <summary>
    /// The Japanese of a token endpoint error: this product's own descriptions one by one, OpenIddict's by the error code
    /// (what the code means and what to check).
    /// </summary>
    public static string Japanese(string error, string? description)
    {
        if (description is not null)
        {
            foreach (var (english, japanese) in Own)
            {
                var match = english.Match(description);
                if (match.Success)
                {
                    return match.Result(japanese);
                }
            }
        }

        return error switch
        {
            Errors.InvalidClient => "クライアントを認証できませんでした（client_id かシークレットが正しくない、送られていない、またはクライアントが失効・期限切れです）。",
            Errors.InvalidScope => "求めたスコープはこのサーバーにないか、このクライアントに許可されていません（read、write、または指定なし）。",
            Errors.InvalidRequest => "トークン要求の形式が正しくありません（POST、application/x-www-form-urlencoded のフォームで grant_type=client_credentials を送ってください）。",
            Errors.UnsupportedGrantType => "client_credentials グラントだけを受け付けます。",
            Errors.UnauthorizedClient => "このクライアントはこのグラントを使えません。",
            "slow_down" => "トークン要求が多すぎます。しばらく待ってから再試行してください。",
            _ => "トークン要求を受け付けられませんでした。",
        };
    }

    /// <summary>This product's own English descriptions (ClientsApi, ClientsSetup) and their Japanese.</summary>
    private static readonly (Regex English, string Japanese)[] Own =
    [
        (new(@"^Only the client_credentials grant is supported\.$"), "client_credentials グラントだけを受け付けます。"),
        // OpenIddict's own (ID2087): the client authenticated twice, by the Authorization header and by the body.
        (new(@"^Multiple client credentials cannot be specified\.$"), "クライアントの認証情報が複数の方法で送られています（Authorization ヘッダーの Basic 認証と本文の client_secret など）。認証方法は1つだけにしてください（RFC 6749 §2.3）。"),
        (new(@"^The client is unknown, revoked or expired\.$"), "このクライアントは存在しないか、失効済みまたは期限切れです。"),
        (new(@"^The person who holds this client's secret is deactivated"), "このクライアントのシークレットを持つ人のアカウントが無効です。管理者が新しいシークレットを発行する（またはその人を有効に戻す）まで、トークンは発行されません。"),
        (new(@"^This client may not write"), "このクライアントは書き込みできません。write を与えられるのはその団体自身の管理者（またはシステム管理者）だけで、このクライアントは閲覧（read）のみです。"),
        (new(@"^The '(.{0,64})' scope is not offered"), "スコープ「$1」は提供していません。API クライアントが求められるのは read、write、または指定なしです（RFC 6749 §3.3）。"),
        (new(@"^Too many token requests.*Retry after (\d+) seconds\.$"), "このアドレスまたはこのクライアントへのトークン要求が多すぎます（拒否されたものも数えます）。$1 秒後に再試行してください。"),
        (new(@"^The Content-Type header has a malformed or repeated parameter"), "Content-Type ヘッダーのパラメーターが不正か重複しています（RFC 9110 §8.3.1）。"),
        (new(@"^The request body could not be read: it is larger than (\d+) KB\.$"), "本文を読めませんでした: $1 KB を超えています。"),
        (new(@"^The request body could not be read: it is malformed\.$"), "本文を読めませんでした: 形式が正しくありません。"),
        (new(@"^The form is past its limits"), "フォームが上限を超えています（2,048 文字を超えるフィールド名、または 1,024 を超えるフィールド）。"),
        (new(@"^The '(.{0,64})' parameter is given more than once"), "パラメーター「$1」が2回以上送られています（RFC 6749 §3.2）。"),
        (new(@"^The '(.{0,64})' parameter holds bytes that are not UTF-8"), "パラメーター「$1」が UTF-8 として正しくないバイト列を含んでいます。"),
    ];
}
