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

    /// <summary>
    /// A resource's command: its highlighted button in the row (icon button named by the command), else the row's
    /// actions menu's item.
    /// </summary>
    public static async Task ClickCommand(IPage page, ILocator row, string name)
    {
        var button = row.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = name, Exact = true });
        if (await button.CountAsync() > 0)
        {
            await button.First.ClickAsync();
            return;
        }
        // The row's "..." menu: "Actions" in this dashboard, "Resource actions" in others.
        await row.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { NameRegex = new System.Text.RegularExpressions.Regex("^(Resource actions|Actions)$") }).First.ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new PageGetByRoleOptions { Name = name, Exact = true }).First.ClickAsync();
    }

    /// <summary>
    /// The dialog (Fluent UI's fluent-dialog host: its fields and buttons are light-DOM children) whose text contains
    /// <paramref name="text"/>. Playwright calls the host hidden (its role=alertdialog box is in the shadow root), so
    /// check visibility on <see cref="DialogText"/>.
    /// </summary>
    public static ILocator Dialog(IPage page, string text) =>
        page.Locator("fluent-dialog").Filter(new LocatorFilterOptions { HasText = text }).First;

    /// <summary>A visible text of a dialog (its title or message).</summary>
    public static ILocator DialogText(IPage page, string text) => Dialog(page, text).GetByText(text).First;

    /// <summary>A button of a dialog by its exact text (Fluent UI's fluent-button host, which takes the click).</summary>
    public static ILocator DialogButton(ILocator dialog, string pattern) =>
        dialog.Locator("fluent-button").Filter(new LocatorFilterOptions { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*({pattern})\\s*$") }).First;

    /// <summary>
    /// The text box of a dialog input by its label ("--learning-rate (learning_rate)"): the label's `for` names the
    /// Fluent UI field, whose own input sits in its shadow root (Playwright's CSS pierces it).
    /// </summary>
    public static async Task<ILocator> Field(ILocator dialog, string label)
    {
        var id = await dialog.Locator("label").Filter(new LocatorFilterOptions { HasText = label }).First.GetAttributeAsync("for");
        if (string.IsNullOrEmpty(id)) return dialog.GetByLabel(label).First;
        var host = dialog.Page.Locator($"[id='{id}']").First;
        var tag = await host.EvaluateAsync<string>("e => e.tagName.toLowerCase()");
        return tag is "input" or "textarea" ? host : host.Locator("input").First;
    }

    /// <summary>Types into a field and leaves it (Blazor binds the value on change).</summary>
    public static async Task Set(ILocator field, string value)
    {
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }

    /// <summary>The search box of a page's toolbar (placeholder "Filter...", an input inside fluent-search).</summary>
    public static ILocator FilterBox(IPage page) => page.Locator("input[placeholder^='Filter']").First;

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
