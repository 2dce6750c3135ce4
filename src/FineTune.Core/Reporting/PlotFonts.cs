using ScottPlot;
using SkiaSharp;

namespace FineTune.Core.Reporting;

/// <summary>
/// Picks the plots' font once per process: the bundled Inter (same look on every machine, and text even where no font
/// is installed), else a common sans-serif family the system has. ScottPlot's own choice is Skia's default typeface,
/// which on Debian is DejaVu Serif.
/// </summary>
internal static class PlotFonts
{
    internal const string BundledName = "Inter";

    static readonly string[] SystemSans = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica", "Segoe UI"];

    static readonly Lazy<string?> Family = new(Resolve);

    /// <summary>The family the plots use, or null when neither the bundled font nor a known system one exists.</summary>
    internal static string? Name => Family.Value;

    /// <summary>Sets the fonts of the plot's title, axis labels, ticks and legend (text plottables need their own).</summary>
    internal static void Apply(Plot plot)
    {
        if (Name is { } name) plot.Font.Set(name);
    }

    static string? Resolve()
    {
        if (BundledFont.Load() is { } faces)
        {
            Fonts.FontResolvers.Add(new Resolver(
                SKTypeface.FromData(SKData.CreateCopy(faces.Regular)),
                SKTypeface.FromData(SKData.CreateCopy(faces.Bold))));
            return BundledName;
        }
        var installed = SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return SystemSans.FirstOrDefault(installed.Contains);
    }

    // Serves the bundled faces to ScottPlot by name; other names fall through to ScottPlot's other resolvers.
    sealed class Resolver(SKTypeface regular, SKTypeface bold) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == BundledName ? (weight >= FontWeight.SemiBold ? bold : regular) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            CreateTypeface(fontName, bold ? FontWeight.Bold : FontWeight.Normal, FontSlant.Upright, FontSpacing.Normal);
    }
}
