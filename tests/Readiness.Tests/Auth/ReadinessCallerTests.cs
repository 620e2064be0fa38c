using System.Security.Claims;
using Readiness.Catalog;
using Readiness.Web.Auth;

namespace Readiness.Tests.Auth;

/// <summary>Every claim the authorization reads must have one value; two distinct values make no caller.</summary>
public sealed class ReadinessCallerTests
{
    private static readonly ReadinessAuthOptions Options = new();

    private static ClaimsPrincipal User(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    [Theory]
    [InlineData("tenant", "271004", "131016")]
    [InlineData("tenant", "131016", "271004")]
    [InlineData("role", "municipality", "national")]
    [InlineData("sub", "alice", "bob")]
    [InlineData("client_id", "vendor-a", "vendor-b")]
    [InlineData("azp", "app-a", "app-b")]
    public void A_claim_with_two_values_makes_no_caller(string type, string first, string second)
    {
        var claims = new List<(string, string)> { ("sub", "alice"), ("role", "municipality"), ("tenant", "131016") };
        claims.RemoveAll(c => c.Item1 == type);
        claims.Add((type, first));
        claims.Add((type, second));
        Assert.Null(ReadinessCaller.From(User([.. claims]), Options));
    }

    [Fact]
    public void A_second_identity_cannot_add_a_tenant()
    {
        var user = User(("sub", "alice"), ("role", "municipality"), ("tenant", "131016"));
        user.AddIdentity(new ClaimsIdentity([new Claim("tenant", "271004")], "other"));
        Assert.Null(ReadinessCaller.From(user, Options));
    }

    [Fact]
    public void The_same_value_twice_is_one_value_and_the_client_is_read()
    {
        var caller = ReadinessCaller.From(User(("sub", "batch"), ("role", "prefecture"), ("tenant", "27"), ("tenant", "27"), ("azp", "vendor-a")), Options);
        Assert.NotNull(caller);
        Assert.Equal("27", caller.Tenant);
        Assert.Equal("vendor-a", caller.Client);
        Assert.Equal("prefecture:27:batch@vendor-a", caller.PartitionKey);
        Assert.Equal("prefecture:27", caller.TenantPartitionKey);
    }

    [Fact]
    public void Partitions_are_per_person_under_the_tenant()
    {
        var a = ReadinessCaller.From(User(("sub", "a"), ("role", "national")), Options)!;
        var b = ReadinessCaller.From(User(("sub", "b"), ("role", "national")), Options)!;
        Assert.NotEqual(a.PartitionKey, b.PartitionKey);
        Assert.Equal(a.TenantPartitionKey, b.TenantPartitionKey);
        Assert.Equal(Role.National, a.Role);
    }
    [Theory]
    [InlineData(255, "a", true)]
    [InlineData(256, "a", false)]
    [InlineData(85, "利用者", true)] // 255 characters of Japanese
    [InlineData(86, "利用者", false)]
    public void A_subject_is_taken_up_to_255_characters(int repeat, string unit, bool taken)
    {
        var subject = string.Concat(Enumerable.Repeat(unit, repeat));
        var user = User(("sub", subject), ("role", "municipality"), ("tenant", "131016"));
        Assert.Equal(taken, ReadinessCaller.From(user, Options) is not null);
        Assert.Equal(taken ? "invalid_role" : "invalid_subject", ReadinessCaller.Refusal(user, Options).Code);
    }

    [Theory]
    [InlineData("tanaka\u0000")] // PostgreSQL text cannot hold a NUL
    [InlineData("tanaka\nrole=admin")] // a forged log line
    [InlineData("tanaka\u200B")] // invisible
    [InlineData("\u3164")] // HANGUL FILLER: displays as nothing, not a format character
    [InlineData("tanaka\u034F")] // COMBINING GRAPHEME JOINER
    [InlineData("\u2800")] // BRAILLE PATTERN BLANK
    [InlineData(" tanaka ")] // not "tanaka", yet displays as it
    [InlineData("tanaka\u3000")] // IDEOGRAPHIC SPACE at the end
    [InlineData("   ")]
    [InlineData("")]
    public void A_subject_with_control_or_invisible_characters_or_blank_makes_no_caller(string escaped)
    {
        var subject = System.Text.RegularExpressions.Regex.Unescape(escaped);
        var user = User(("sub", subject), ("role", "municipality"), ("tenant", "131016"));
        Assert.Null(ReadinessCaller.From(user, Options));
        var (field, code, ja, en) = ReadinessCaller.Refusal(user, Options);
        Assert.Equal(("sub", "invalid_subject"), (field, code));
        Assert.Contains("255", ja, StringComparison.Ordinal);
        Assert.Contains("subject (sub)", en, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_subject_with_a_bad_tenant_is_refused_for_the_tenant()
    {
        var user = User(("sub", "tanaka"), ("role", "municipality"), ("tenant", "999999"));
        Assert.Null(ReadinessCaller.From(user, Options));
        Assert.Equal(("role", "invalid_role"), (ReadinessCaller.Refusal(user, Options).Field, ReadinessCaller.Refusal(user, Options).Code));
    }

    [Theory]
    [InlineData("client_id", "vendor\u0000a")]
    [InlineData("client_id", " vendor-a")]
    [InlineData("azp", "app\u202Ea")]
    [InlineData("azp", "app\nrole=admin")]
    public void A_client_claim_that_is_not_a_clean_identifier_makes_no_caller_and_is_named(string type, string escaped)
    {
        var user = User(("sub", "batch"), ("role", "prefecture"), ("tenant", "27"), (type, System.Text.RegularExpressions.Regex.Unescape(escaped)));
        Assert.Null(ReadinessCaller.From(user, Options));
        Assert.Equal((type, "invalid_client"), (ReadinessCaller.Refusal(user, Options).Field, ReadinessCaller.Refusal(user, Options).Code));
    }

    [Fact]
    public void A_client_claim_over_255_characters_makes_no_caller()
    {
        var user = User(("sub", "batch"), ("role", "prefecture"), ("tenant", "27"), ("client_id", new string('c', 256)));
        Assert.Null(ReadinessCaller.From(user, Options));
        Assert.Equal("invalid_client", ReadinessCaller.Refusal(user, Options).Code);
        Assert.NotNull(ReadinessCaller.From(User(("sub", "batch"), ("role", "prefecture"), ("tenant", "27"), ("client_id", new string('c', 255))), Options));
    }

    [Fact]
    public void Two_client_ids_are_refused_naming_the_client_claim()
    {
        var user = User(("sub", "batch"), ("role", "prefecture"), ("tenant", "27"), ("client_id", "a"), ("client_id", "b"));
        Assert.Equal(("client_id", "invalid_client"), (ReadinessCaller.Refusal(user, Options).Field, ReadinessCaller.Refusal(user, Options).Code));
    }

    [Theory]
    [InlineData("rc_0123", "client_id", "rc_0123", true)] // RFC 9068 §2.2: a client credentials token's sub names the client
    [InlineData("client:rc_0123 (admin@digital.go.jp)", "client_id", "rc_0123", true)] // this product's /connect/token
    [InlineData("client:rc_0123", "client_id", "rc_0123", true)]
    [InlineData("client:rc_01234 (x)", "client_id", "rc_0123", false)] // another client's subject
    [InlineData("f2c1e0a4-7d1b-4c7e-9a55-2b8a7c3d9e10", "azp", "readiness-dashboard", false)] // a person signed in through an application
    [InlineData("tanaka@city.chiyoda", "client_id", "readiness-dashboard", false)]
    public void Only_a_client_acting_for_itself_is_an_API_client(string subject, string type, string client, bool apiClient)
    {
        var caller = ReadinessCaller.From(User(("sub", subject), ("role", "municipality"), ("tenant", "131016"), (type, client)), Options);
        Assert.NotNull(caller);
        Assert.Equal(client, caller.Client); // the rate limits still give each application its own budget
        Assert.Equal(apiClient, caller.IsApiClient);
    }
}
