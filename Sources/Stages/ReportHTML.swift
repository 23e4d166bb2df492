import Artifacts
import Foundation

/// The pieces `pipeline report` builds its page from: escaping, sections, tables, figures.
enum ReportHTML {
    static func escape(_ text: String) -> String { SVGChart.escape(text) }

    /// A summary value for people: numbers to four significant digits, strings bare.
    static func format(_ value: JSON) -> String {
        switch value {
        case let .double(d): return number(d)
        case let .string(s): return s
        case .null: return "-"
        default: return value.canonical
        }
    }

    static func number(_ d: Double, digits: Int = 4) -> String {
        guard d.isFinite else { return "-" }
        return String(format: "%.\(digits)g", d)
    }

    static func section(_ title: String, _ content: String) -> String {
        "<section>\n<h2>\(escape(title))</h2>\n\(content)</section>\n"
    }

    static func paragraph(_ text: String) -> String { "<p>\(escape(text))</p>\n" }

    static func preformatted(_ text: String) -> String { "<pre>\(escape(text))</pre>\n" }

    /// Columns listed in `code` are shown in a fixed-width font.
    static func table(header: [String], rows: [[String]], code: Set<Int> = []) -> String {
        var out = "<table>\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in rows {
            out += "<tr>" + row.enumerated().map { c, cell in
                code.contains(c) ? "<td><code>\(escape(cell))</code></td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func figures(_ svgs: [String]) -> String {
        "<div class=\"figures\">\n" + svgs.map { "<figure>\($0)</figure>\n" }.joined() + "</div>\n"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; color: #222; }
        h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
        h3 { font-size: 1.05rem; }
        table { border-collapse: collapse; font-size: .88rem; margin: .5rem 0; }
        th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
        th { background: #f3f3f3; }
        pre { background: #f8f7f4; border: 1px solid #e3e1dc; padding: .6rem .8rem; white-space: pre-wrap; font-size: .9rem; }
        .figures { display: flex; flex-wrap: wrap; gap: .5rem; }
        figure { margin: 0; flex: 1 1 30rem; max-width: 36rem; }
        figure svg { width: 100%; height: auto; }
        .muted { color: #666; }
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    /// At most `limit` points: consecutive runs of points averaged, so a long noisy curve stays
    /// small and readable.
    static func downsample(_ points: [(x: Double, y: Double)], limit: Int = 400) -> [(x: Double, y: Double)] {
        guard points.count > limit else { return points }
        let size = (points.count + limit - 1) / limit
        return stride(from: 0, to: points.count, by: size).map { start in
            let run = points[start..<min(points.count, start + size)]
            return (run.map(\.x).reduce(0, +) / Double(run.count), run.map(\.y).reduce(0, +) / Double(run.count))
        }
    }

    /// (x, y) of every line that has both keys.
    static func points(_ lines: [JSON], _ x: String, _ y: String, scale: Double = 1) -> [(x: Double, y: Double)] {
        lines.compactMap { line in
            guard let a = line[x]?.doubleValue, let b = line[y]?.doubleValue else { return nil }
            return (a, b * scale)
        }
    }
}
