using Xunit.Abstractions;
using Xunit.Sdk;

namespace FineTune.AppHost.Tests.Browser;

/// <summary>A test's place in its class when the class uses <see cref="TestOrderer"/> (lowest first).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TestOrderAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>
/// Runs a class's tests by their [TestOrder]: the dashboard job tests submit a second job while the demo job still
/// trains (it stays queued and is cancelled), then wait for the demo to end.
/// </summary>
public sealed class TestOrderer : ITestCaseOrderer
{
    public const string Name = "FineTune.AppHost.Tests.Browser.TestOrderer";
    public const string Assembly = "FineTune.AppHost.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(c => c.TestMethod.Method.GetCustomAttributes(typeof(TestOrderAttribute).AssemblyQualifiedName)
            .FirstOrDefault()?.GetNamedArgument<int>(nameof(TestOrderAttribute.Order)) ?? int.MaxValue);
}
