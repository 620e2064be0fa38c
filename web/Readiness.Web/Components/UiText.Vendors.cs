namespace Readiness.Web.Components;

/// <summary>The names of the Government Cloud providers (CSP) on the pages, Japanese first; wire names as in <see cref="Readiness.CloudProvider"/>.</summary>
public static class VendorText
{
    /// <summary>The wire names in the order the forms list them.</summary>
    public static readonly IReadOnlyList<string> CloudProviders = [.. Enum.GetValues<CloudProvider>().Select(p => Wire.Name(p))];

    /// <summary>The provider's display name (product names are the same in both languages but さくらのクラウド); "未報告" for null.</summary>
    public static string CloudProvider(this UiText t, string? provider) => provider switch
    {
        "aws" => "AWS（Amazon Web Services）",
        "microsoft_azure" => "Microsoft Azure",
        "google_cloud" => "Google Cloud",
        "oracle_cloud_infrastructure" => "Oracle Cloud Infrastructure",
        "sakura_cloud" => t["さくらのクラウド", "Sakura Cloud (さくらのクラウド)"],
        null or "" => t.NotReported,
        _ => provider,
    };
}
