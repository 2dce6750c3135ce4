using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace FineTune.AppHost.Tests.Otlp;

/// <summary>One metric data point as exported: the service (resource service.name) that sent it, and its attributes.</summary>
/// <param name="Value">a gauge's or sum's value; a histogram's sum</param>
/// <param name="Count">a histogram's count of measurements; 0 otherwise</param>
/// <param name="Cumulative">the sum or histogram is cumulative (else each point holds one export interval's delta)</param>
public sealed record MetricPoint(string Service, string Name, IReadOnlyDictionary<string, string> Attributes, double Value, ulong Count,
    bool Cumulative, ulong TimeUnixNano);

/// <summary>One span; the ids are lowercase hex, an empty parent for a root span.</summary>
public sealed record SpanRecord(string Service, string Name, string TraceId, string SpanId, string ParentSpanId,
    IReadOnlyDictionary<string, string> Attributes);

/// <summary>One log record; the body is the formatted message when the exporter includes it.</summary>
public sealed record LogRecordData(string Service, string Body, IReadOnlyDictionary<string, string> Attributes);

/// <summary>Flattens the OTLP export requests (the minimal schema in otlp.proto) into records a test can query.</summary>
public static class OtlpDecoder
{
    public static IEnumerable<MetricPoint> Metrics(byte[] body)
    {
        foreach (var rm in ExportMetricsServiceRequest.Parser.ParseFrom(body).ResourceMetrics)
        {
            var service = ServiceName(rm.Resource);
            foreach (var metric in rm.ScopeMetrics.SelectMany(s => s.Metrics))
            {
                switch (metric.DataCase)
                {
                    case Metric.DataOneofCase.Gauge:
                        foreach (var p in metric.Gauge.DataPoints)
                            yield return new(service, metric.Name, Attributes(p.Attributes), Number(p), 0, false, p.TimeUnixNano);
                        break;
                    case Metric.DataOneofCase.Sum:
                        foreach (var p in metric.Sum.DataPoints)
                            yield return new(service, metric.Name, Attributes(p.Attributes), Number(p), 0, metric.Sum.AggregationTemporality == 2, p.TimeUnixNano);
                        break;
                    case Metric.DataOneofCase.Histogram:
                        foreach (var p in metric.Histogram.DataPoints)
                            yield return new(service, metric.Name, Attributes(p.Attributes), p.Sum, p.Count, metric.Histogram.AggregationTemporality == 2, p.TimeUnixNano);
                        break;
                }
            }
        }
    }

    public static IEnumerable<SpanRecord> Spans(byte[] body)
    {
        foreach (var rs in ExportTraceServiceRequest.Parser.ParseFrom(body).ResourceSpans)
        {
            var service = ServiceName(rs.Resource);
            foreach (var s in rs.ScopeSpans.SelectMany(x => x.Spans))
                yield return new(service, s.Name, Hex(s.TraceId), Hex(s.SpanId), Hex(s.ParentSpanId), Attributes(s.Attributes));
        }
    }

    public static IEnumerable<LogRecordData> Logs(byte[] body)
    {
        foreach (var rl in ExportLogsServiceRequest.Parser.ParseFrom(body).ResourceLogs)
        {
            var service = ServiceName(rl.Resource);
            foreach (var r in rl.ScopeLogs.SelectMany(x => x.LogRecords))
                yield return new(service, Text(r.Body), Attributes(r.Attributes));
        }
    }

    static string ServiceName(Resource? resource) =>
        resource?.Attributes.FirstOrDefault(a => a.Key == "service.name") is { } kv ? Text(kv.Value) : "";

    /// <summary>Key to value as text; a key given twice (a log scope and a message template both naming it) keeps its first value.</summary>
    static Dictionary<string, string> Attributes(RepeatedField<KeyValue> attributes)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in attributes) map.TryAdd(a.Key, Text(a.Value));
        return map;
    }

    static double Number(NumberDataPoint p) => p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble;

    static string Text(AnyValue? v) => v?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => v.StringValue,
        AnyValue.ValueOneofCase.BoolValue => v.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => v.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => v.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => Hex(v.BytesValue),
        _ => "",
    };

    static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
