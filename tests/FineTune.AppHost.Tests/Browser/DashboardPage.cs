using Microsoft.Playwright;

namespace FineTune.AppHost.Tests.Browser;

/// <summary>
/// The dashboard's elements the tests look for, one named locator each, so a check reads the same before and after a
/// fix (the banners are found by their title text: their markup is the dashboard's, not ours).
/// </summary>
public static class DashboardPage
{
    /// <summary>The resources page's row of one resource, by its exact name.</summary>
    public static ILocator ResourceRow(IPage page, string name) =>
        page.GetByRole(AriaRole.Row).Filter(new LocatorFilterOptions { Has = page.GetByText(name, new PageGetByTextOptions { Exact = true }) });

    /// <summary>The red notification the AppHost raises when no trusted HTTPS development certificate exists.</summary>
    public static ILocator CertificateBanner(IPage page) => page.GetByText("No trusted development certificate").First;

    /// <summary>The orange message bar the dashboard shows while its OTLP endpoint or telemetry API takes anyone.</summary>
    public static ILocator UnsecuredBanner(IPage page) => page.GetByText("Endpoint is unsecured").First;

    /// <summary>The tag, class and text of the element a locator found, for the test output.</summary>
    public static Task<string> Describe(ILocator locator) => locator.EvaluateAsync<string>(
        "e => { const parts = []; for (let n = e; n && parts.length < 4; n = n.parentElement) parts.push(n.tagName.toLowerCase() + (n.className && typeof n.className === 'string' ? '.' + n.className.trim().split(/\\s+/).join('.') : '')); return parts.join(' < ') + ' :: ' + e.textContent.trim().slice(0, 120); }");

    /// <summary>The repository's git-ignored artifacts/screenshots, found upwards from the test's output folder.</summary>
    public static string ScreenshotFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FineTune.Distributed.sln")))
                return Directory.CreateDirectory(Path.Combine(dir.FullName, "artifacts", "screenshots")).FullName;
        return Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
    }
}
