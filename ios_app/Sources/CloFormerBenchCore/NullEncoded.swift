/// An optional that encodes nil as JSON null, where synthesized Codable would leave the key out:
/// the result schema requires every key, null included.
@propertyWrapper
public struct NullEncoded<Value: Codable>: Codable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}

extension NullEncoded: Equatable where Value: Equatable {}

extension KeyedDecodingContainer {
    /// A missing key decodes as nil too (synthesized decoding would call it an error).
    public func decode<T>(_ type: NullEncoded<T>.Type, forKey key: Key) throws -> NullEncoded<T> {
        try decodeIfPresent(type, forKey: key) ?? NullEncoded(wrappedValue: nil)
    }
}
