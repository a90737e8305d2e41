import Aggregation

// The small codes stores write for windows and monoids. Stable: a code once written means the same forever, and a
// code this backfill does not know is an error (never read as some other window or monoid).

extension WindowKind {
    /// Stable small code stored in the database.
    public var code: Int {
        switch self {
        case .minute: return 1
        case .hourly: return 2
        case .daily: return 3
        case .monthly: return 4
        case .lifetime: return 5
        }
    }

    /// The window of a stored code; an unknown code is an error naming it.
    public init(code: Int) throws {
        switch code {
        case 1: self = .minute
        case 2: self = .hourly
        case 3: self = .daily
        case 4: self = .monthly
        case 5: self = .lifetime
        default: throw StoreError(.corrupt, "unknown window code \(code) (known: 1 minute, 2 hourly, 3 daily, 4 monthly, 5 lifetime)")
        }
    }
}

extension MonoidKind {
    /// How the monoid is stored: "sum", "topk:10".
    public var storedText: String {
        switch self {
        case .sum: return "sum"
        case .count: return "count"
        case .min: return "min"
        case .max: return "max"
        case .first: return "first"
        case .last: return "last"
        case .distinct: return "distinct"
        case .topk(let k): return "topk:\(k)"
        }
    }

    /// The monoid of a stored text; an unknown one is an error.
    public init(parsingStored text: String) throws {
        if text.hasPrefix("topk:"), let k = Int(text.dropFirst(5)) {
            self = .topk(k: k)
        } else {
            self = try MonoidKind(parsing: text)
        }
    }
}
