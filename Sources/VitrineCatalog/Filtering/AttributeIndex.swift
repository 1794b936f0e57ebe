import VitrineStore

/// The attributes of every slot of a ``SearchIndex``, inverted: for each (name, value) the slots
/// that hold it (a ``SlotSet``), for each name the slots that have it and the values it takes. A
/// filter is evaluated on these into a ``Bitset`` (``Filter/evaluate(in:live:)``); a facet counts a
/// name's values within one. Names and values are interned with reference counts, so what no
/// product holds any more is forgotten. Not thread-safe: the search index's lock guards it.
struct AttributeIndex: Sendable {
    private var names = Interner<String>()
    private var values = Interner<AttributeValue>()
    /// Per slot, its (name, value) pairs (name id << 32 | value id).
    private var slotPairs: [[UInt64]] = []
    private var postings: [UInt64: SlotSet] = [:]
    /// Per name id: the slots that have it, and its value ids.
    private var present: [Int32: SlotSet] = [:]
    private var valuesOfName: [Int32: Set<Int32>] = [:]

    /// The slots' capacity (the index's slot count).
    private(set) var capacity = 0

    /// Sets slot `slot`'s attributes (replacing any it had).
    mutating func set(_ slot: Int, _ attributes: ProductAttributes, capacity: Int) {
        self.capacity = max(self.capacity, capacity)
        clear(slot)
        if slotPairs.count <= slot { slotPairs.append(contentsOf: repeatElement([], count: slot - slotPairs.count + 1)) }
        guard !attributes.isEmpty else { return }
        var pairs: [UInt64] = []
        pairs.reserveCapacity(attributes.fields.reduce(0) { $0 + $1.values.count })
        for field in attributes.fields {
            let name = names.retain(field.name)
            present[name, default: SlotSet()].insert(Int32(slot), capacity: self.capacity)
            for value in field.values {
                let id = values.retain(value)
                let pair = UInt64(UInt32(name)) << 32 | UInt64(UInt32(id))
                if postings[pair] == nil { valuesOfName[name, default: []].insert(id) }
                postings[pair, default: SlotSet()].insert(Int32(slot), capacity: self.capacity)
                pairs.append(pair)
            }
        }
        slotPairs[slot] = pairs
    }

    /// Forgets slot `slot`'s attributes.
    mutating func clear(_ slot: Int) {
        guard slot < slotPairs.count, !slotPairs[slot].isEmpty else { return }
        var seenNames = Set<Int32>()
        for pair in slotPairs[slot] {
            let name = Int32(truncatingIfNeeded: pair >> 32), id = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
            postings[pair]?.remove(Int32(slot))
            if postings[pair]?.isEmpty == true {
                postings[pair] = nil
                valuesOfName[name]?.remove(id)
            }
            values.release(id)
            if seenNames.insert(name).inserted {
                present[name]?.remove(Int32(slot))
                if present[name]?.isEmpty == true {
                    present[name] = nil
                    valuesOfName[name] = nil
                }
                names.release(name)
            }
        }
        slotPairs[slot] = []
    }

    /// Slot `slot`'s attributes (for a snapshot).
    func attributes(of slot: Int) -> ProductAttributes {
        guard slot < slotPairs.count, !slotPairs[slot].isEmpty else { return .none }
        var fields: [String: [AttributeValue]] = [:]
        for pair in slotPairs[slot] {
            fields[names.value(Int32(truncatingIfNeeded: pair >> 32)), default: []]
                .append(values.value(Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)))
        }
        return ProductAttributes(fields: fields.map { (name: $0.key, values: $0.value) })
    }

    /// Adds to `bits` the slots whose attribute `name` has a value satisfying `test`.
    func addSlots(_ name: String, to bits: inout Bitset, where test: (AttributeValue) -> Bool) {
        guard let nameID = names.id(name), let ids = valuesOfName[nameID] else { return }
        for id in ids where test(values.value(id)) {
            postings[UInt64(UInt32(nameID)) << 32 | UInt64(UInt32(id))]?.add(to: &bits)
        }
    }

    /// Adds to `bits` the slots holding `value` for `name`.
    func addSlots(_ name: String, value: AttributeValue, to bits: inout Bitset) {
        guard let nameID = names.id(name), let id = values.id(value) else { return }
        postings[UInt64(UInt32(nameID)) << 32 | UInt64(UInt32(id))]?.add(to: &bits)
    }

    /// Adds to `bits` the slots that have attribute `name`.
    func addSlots(having name: String, to bits: inout Bitset) {
        guard let nameID = names.id(name) else { return }
        present[nameID]?.add(to: &bits)
    }

    /// Every attribute name with how many slots have it and how many distinct values it takes.
    func summary() -> [(name: String, products: Int, values: Int)] {
        present.map { (name: names.value($0.key), products: $0.value.count, values: valuesOfName[$0.key]?.count ?? 0) }
    }

    /// The values of `name` among the slots of `bits`, with how many slots hold each: the most
    /// frequent first (ties in value order), at most `limit`.
    func facet(_ name: String, among bits: Bitset, limit: Int) -> [(value: AttributeValue, count: Int)] {
        guard let nameID = names.id(name), let ids = valuesOfName[nameID] else { return [] }
        var counts: [(value: AttributeValue, count: Int)] = []
        for id in ids {
            guard let posting = postings[UInt64(UInt32(nameID)) << 32 | UInt64(UInt32(id))] else { continue }
            let count = posting.count(in: bits)
            if count > 0 { counts.append((values.value(id), count)) }
        }
        counts.sort { $0.count > $1.count || ($0.count == $1.count && $0.value < $1.value) }
        return Array(counts.prefix(limit))
    }
}

/// Values numbered densely, each with a count of its users; a number no longer used is reused.
struct Interner<Value: Hashable & Sendable>: Sendable {
    private var ids: [Value: Int32] = [:]
    private var items: [Value?] = []
    private var references: [Int32] = []
    private var free: [Int32] = []

    /// The id of `value`, counting one more user.
    mutating func retain(_ value: Value) -> Int32 {
        if let id = ids[value] {
            references[Int(id)] += 1
            return id
        }
        let id: Int32
        if let reused = free.popLast() {
            id = reused
            items[Int(id)] = value
            references[Int(id)] = 1
        } else {
            id = Int32(items.count)
            items.append(value)
            references.append(1)
        }
        ids[value] = id
        return id
    }

    /// One user fewer of `id`; forgotten at none.
    mutating func release(_ id: Int32) {
        references[Int(id)] -= 1
        guard references[Int(id)] == 0, let value = items[Int(id)] else { return }
        ids[value] = nil
        items[Int(id)] = nil
        free.append(id)
    }

    /// The id of `value`, if in use.
    func id(_ value: Value) -> Int32? { ids[value] }

    /// The value of a live id.
    func value(_ id: Int32) -> Value { items[Int(id)]! }
}
