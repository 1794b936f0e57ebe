import Foundation

/// Dates in the text form GRDB stores them in ("yyyy-MM-dd HH:mm:ss.SSS", UTC),
/// formatted by hand: GRDB's DateFormatter (ICU) cost two calls per product
/// written, ~3 % of a synchronous index request.
enum Timestamp {
    /// `date` as GRDB's storage text, rounded to the nearest millisecond as GRDB does.
    static func text(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var fraction = Int(milliseconds % 1000)
        if fraction < 0 {
            fraction += 1000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(23)
        func append(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        append(Int(parts.tm_year) + 1900, digits: 4); bytes.append(UInt8(ascii: "-"))
        append(Int(parts.tm_mon) + 1, digits: 2); bytes.append(UInt8(ascii: "-"))
        append(Int(parts.tm_mday), digits: 2); bytes.append(UInt8(ascii: " "))
        append(Int(parts.tm_hour), digits: 2); bytes.append(UInt8(ascii: ":"))
        append(Int(parts.tm_min), digits: 2); bytes.append(UInt8(ascii: ":"))
        append(Int(parts.tm_sec), digits: 2); bytes.append(UInt8(ascii: "."))
        append(fraction, digits: 3)
        return String(decoding: bytes, as: UTF8.self)
    }
}
