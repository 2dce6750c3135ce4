using Microsoft.Playwright;

namespace FineTune.AppHost.Tests.Browser;

/// <summary>
/// One headless chromium for a test class (started in about a second): each test opens its own page on the shared app's
/// dashboard. When chromium cannot be had, <see cref="Unavailable"/> says why and no browser starts.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    IPlaywright? playwright;
    IBrowser? browser;

    public string? Unavailable { get; private set; }

    public IBrowser Browser => browser ?? throw new InvalidOperationException(Unavailable ?? "the browser has not started");

    public async Task InitializeAsync()
    {
        Unavailable = Chromium.Unavailable;
        if (Unavailable is not null) return;
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath,
            Headless = true,
            // --no-sandbox: CI runs the tests as root, where chromium's sandbox refuses to start.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
            Timeout = 60_000,
        });
    }

    /// <summary>A new page (its own context: no cookie carried over from another test) at a desktop size.</summary>
    public async Task<IPage> NewPage()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.CloseAsync();
        playwright?.Dispose();
    }
}
