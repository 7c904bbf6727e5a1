import Foundation

/// Server-rendered bar charts for the dashboard (issue 10: "SVG, no external assets"). Pure function of the data; every
/// text is escaped here because the template inserts the SVG unescaped. Values are Decimal (money stays exact until
/// it becomes a pixel height).
public enum SVGChart {
    public struct Point: Sendable, Equatable {
        public var label: String
        public var value: Decimal

        public init(_ label: String, _ value: Decimal) {
            self.label = label
            self.value = value
        }
    }

    static let width = 560, height = 220, left = 56, bottom = 28, top = 12

    /// A bar per point with a labelled y-axis (0, half, max) and a `<title>` per bar for the exact value.
    public static func bars(title: String, points: [Point], format: (Decimal) -> String) -> String {
        let maxValue = max(points.map(\.value).max() ?? 0, 0)
        let scaleMax = maxValue > 0 ? maxValue : 1
        let plotW = width - left - 8, plotH = height - bottom - top
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<title>\(escape(title))</title>"
        // Axis labels only when there is something to scale (an all-zero chart says so instead of "0, 0, 0").
        for fraction in maxValue > 0 ? [Decimal(0), Decimal(1) / 2, 1] : [Decimal(0)] {
            let y = top + plotH - Int(truncating: (Decimal(plotH) * fraction) as NSNumber)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 8)\" y2=\"\(y)\" stroke=\"#d6d6d6\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"11\" text-anchor=\"end\" fill=\"#505050\">\(escape(format(maxValue * fraction)))</text>"
        }
        guard !points.isEmpty, maxValue > 0 else {
            return svg + "<text x=\"\(left + plotW / 2)\" y=\"\(top + plotH / 2)\" font-size=\"13\" text-anchor=\"middle\" fill=\"#505050\">No data yet</text></svg>"
        }
        let slot = plotW / points.count
        let barW = max(2, slot * 7 / 10)
        let labelEvery = max(1, Int((Double(points.count) / 12).rounded(.up)))
        for (i, p) in points.enumerated() {
            let h = Int(truncating: (Decimal(plotH) * max(p.value, 0) / scaleMax) as NSNumber)
            let x = left + i * slot + (slot - barW) / 2
            svg += "<rect x=\"\(x)\" y=\"\(top + plotH - h)\" width=\"\(barW)\" height=\"\(h)\" fill=\"#0b5cad\">"
            svg += "<title>\(escape(p.label)): \(escape(format(p.value)))</title></rect>"
            if i % labelEvery == 0 {
                svg += "<text x=\"\(x + barW / 2)\" y=\"\(height - 10)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#505050\">\(escape(p.label))</text>"
            }
        }
        return svg + "</svg>"
    }

    static func escape(_ s: String) -> String { s.map(SafeHTML.escape).joined() }
}
