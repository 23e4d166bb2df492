import Foundation

/// A small line chart drawn as a standalone SVG document: the project's plots (analysis files and
/// the report) need no network, no scripts and no plotting library, and come out byte-identical
/// for the same numbers.
public struct SVGChart: Sendable {
    public enum Style: Sendable { case lineWithMarkers, line, dashedLine, markers }

    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var style: Style

        public init(_ name: String, points: [(x: Double, y: Double)], style: Style = .lineWithMarkers) {
            self.name = name
            self.points = points
            self.style = style
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Vertical lines at these x values, labelled (an onset, a chosen checkpoint).
    public var markers: [(x: Double, label: String)] = []
    public var width = 640.0, height = 360.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let margin = (left: 70.0, right: 20.0, top: 58.0, bottom: 50.0)

    public var svg: String {
        let m = SVGChart.margin
        let plot = (x: m.left, y: m.top, width: width - m.left - m.right, height: height - m.top - m.bottom)
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = finite.map(\.x) + markers.map(\.x).filter(\.isFinite)
        let xAxis = Axis(values: xs), yAxis = Axis(values: finite.map(\.y))
        func px(_ x: Double) -> Double { plot.x + (x - xAxis.low) / (xAxis.high - xAxis.low) * plot.width }
        func py(_ y: Double) -> Double { plot.y + plot.height - (y - yAxis.low) / (yAxis.high - yAxis.low) * plot.height }

        var out = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="sans-serif" font-size="12">"# + "\n"
        out += ##"<rect width="100%" height="100%" fill="white"/>"## + "\n"
        out += ##"<text x="\##(f(width / 2))" y="22" text-anchor="middle" font-size="14">\##(SVGChart.escape(title))</text>"## + "\n"
        for tick in xAxis.ticks {
            let x = px(tick)
            out += ##"<line x1="\##(f(x))" y1="\##(f(plot.y))" x2="\##(f(x))" y2="\##(f(plot.y + plot.height))" stroke="#e6e6e6"/>"## + "\n"
            out += ##"<text x="\##(f(x))" y="\##(f(plot.y + plot.height + 16))" text-anchor="middle">\##(xAxis.label(tick))</text>"## + "\n"
        }
        for tick in yAxis.ticks {
            let y = py(tick)
            out += ##"<line x1="\##(f(plot.x))" y1="\##(f(y))" x2="\##(f(plot.x + plot.width))" y2="\##(f(y))" stroke="#e6e6e6"/>"## + "\n"
            out += ##"<text x="\##(f(plot.x - 6))" y="\##(f(y + 4))" text-anchor="end">\##(yAxis.label(tick))</text>"## + "\n"
        }
        out += ##"<rect x="\##(f(plot.x))" y="\##(f(plot.y))" width="\##(f(plot.width))" height="\##(f(plot.height))" fill="none" stroke="#444"/>"## + "\n"
        out += ##"<text x="\##(f(plot.x + plot.width / 2))" y="\##(f(height - 10))" text-anchor="middle">\##(SVGChart.escape(xLabel))</text>"## + "\n"
        out += ##"<text transform="translate(16 \##(f(plot.y + plot.height / 2))) rotate(-90)" text-anchor="middle">\##(SVGChart.escape(yLabel))</text>"## + "\n"
        if finite.isEmpty {
            out += ##"<text x="\##(f(plot.x + plot.width / 2))" y="\##(f(plot.y + plot.height / 2))" text-anchor="middle" fill="#888">no data</text>"## + "\n"
        }
        for marker in markers where marker.x.isFinite {
            let x = px(marker.x)
            out += ##"<line x1="\##(f(x))" y1="\##(f(plot.y))" x2="\##(f(x))" y2="\##(f(plot.y + plot.height))" stroke="#555" stroke-dasharray="2 3"/>"## + "\n"
            // Labels of markers in the right part of the plot go to the left of their line.
            let right = x > plot.x + plot.width * 0.6
            out += ##"<text x="\##(f(right ? x - 4 : x + 4))" y="\##(f(plot.y + 14))" fill="#555"\##(right ? #" text-anchor="end""# : "")>\##(SVGChart.escape(marker.label))</text>"## + "\n"
        }
        for (k, s) in series.enumerated() {
            let color = SVGChart.palette[k % SVGChart.palette.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            if s.style != .markers, points.count >= 2 {
                let dash = s.style == .dashedLine ? ##" stroke-dasharray="6 4""## : ""
                let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                out += ##"<polyline points="\##(path)" fill="none" stroke="\##(color)" stroke-width="1.5"\##(dash)/>"## + "\n"
            }
            if s.style == .lineWithMarkers || s.style == .markers {
                for point in points {
                    out += ##"<circle cx="\##(f(px(point.x)))" cy="\##(f(py(point.y)))" r="3" fill="\##(color)"/>"## + "\n"
                }
            }
        }
        // The legend: one row between the title and the plot.
        if series.count > 1 {
            var x = plot.x
            for (k, s) in series.enumerated() {
                let color = SVGChart.palette[k % SVGChart.palette.count], y = m.top - 10
                let dash = s.style == .dashedLine ? ##" stroke-dasharray="6 4""## : ""
                out += ##"<line x1="\##(f(x))" y1="\##(f(y - 4))" x2="\##(f(x + 22))" y2="\##(f(y - 4))" stroke="\##(color)" stroke-width="2"\##(dash)/>"## + "\n"
                out += ##"<text x="\##(f(x + 27))" y="\##(f(y))">\##(SVGChart.escape(s.name))</text>"## + "\n"
                x += 40 + 6.5 * Double(s.name.count)
            }
        }
        return out + "</svg>\n"
    }

    /// Text made safe for XML and HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A data range widened to round ends, with about five round ticks.
    struct Axis {
        let low: Double, high: Double, step: Double

        init(values: [Double]) {
            var low = values.min() ?? 0, high = values.max() ?? 1
            if high - low < 1e-12 * max(1, abs(high)) {
                let pad = max(abs(high) * 0.1, 1e-3)
                low -= pad; high += pad
            }
            let raw = (high - low) / 5, magnitude = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
            self.step = step
            self.low = floor(low / step) * step
            self.high = ceil(high / step) * step
        }

        var ticks: [Double] {
            let count = Int(((high - low) / step).rounded())
            return (0...count).map { low + Double($0) * step }
        }

        func label(_ value: Double) -> String {
            let decimals = max(0, Int(-floor(log10(step))) + (step / pow(10, floor(log10(step))) == 2.5 ? 1 : 0))
            let text = String(format: "%.\(decimals)f", value)
            return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
        }
    }
}
