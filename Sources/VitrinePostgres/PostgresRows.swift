import Foundation
import NIOCore
import PostgresNIO
import VitrineStore

/// The writes of product rows that the PostgreSQL store and queue both make, set-based (a few
/// statements for a whole batch, whatever its size: the write order's lock is held briefly),
/// inside the caller's ``PostgresBackend/write(_:)`` transaction. The same rules as the SQLite
/// store's `ProductRows`: a fresh change number per write, thumbnails follow their image, an
/// older tombstone goes, an original image nobody uses any more is removed.
enum PostgresRows {
    /// The columns of a product row, in the order ``record(_:)`` decodes them.
    static let productColumns = """
        product_id, name, description, metadata, text_digest, image_digest, image_path, image_width, image_height,
        model, fused, image_vector, text_vector, created_at, updated_at, applied_seq
        """

    /// Inserts or replaces products, each as write number `sequence` (a fresh one when nil), in order
    /// (a product given twice ends as its last record), in one statement: `vitrine_write_products`
    /// (see the migrations). Inside a write transaction, `order` moves on past the numbers it took.
    static func upsert(_ writes: [(product: ProductRecord, sequence: Int64?)], in session: Session, order: inout WriteOrder) throws {
        guard !writes.isEmpty else { return }
        order.advance(to: try upsert(writes, in: session))
    }

    /// The same, on its own: the statement is its own transaction. Returns the new head.
    @discardableResult
    static func upsert(_ writes: [(product: ProductRecord, sequence: Int64?)], in session: Session) throws -> Int64 {
        let rows = writes.map(\.product)
        let now = (Date().timeIntervalSince1970 * 1000).rounded() / 1000
        // Arrays carry no NULLs here: '' / -1 / an empty bytea / 0 stand for none.
        let ids = rows.map(\.productID), names = rows.map(\.name), descriptions = rows.map(\.description)
        let metadata = rows.map(\.metadata), textDigests = rows.map(\.textDigest)
        let imageDigests = rows.map { $0.imageDigest ?? "" }, imagePaths = rows.map { $0.imagePath ?? "" }
        let widths = rows.map { $0.imageWidth ?? -1 }, heights = rows.map { $0.imageHeight ?? -1 }
        let models = rows.map(\.model)
        let fused = rows.map { bytes(VectorBlob.encode($0.fused)) }
        let images = rows.map { $0.image.map { bytes(VectorBlob.encode($0)) } ?? ByteBuffer() }
        // A product without an image has its text vector as its fused vector: stored once.
        let texts = rows.map { $0.text == $0.fused ? ByteBuffer() : bytes(VectorBlob.encode($0.text)) }
        let sequences = writes.map { $0.sequence ?? 0 }
        let thumbnails = rows.map { ByteBuffer(bytes: $0.thumbnail ?? []) }
        let lexicalNames = rows.map { LexicalQuery.document($0.name) }
        let lexicalDescriptions = rows.map { LexicalQuery.document($0.description) }
        let lexicalMetadata = rows.map { LexicalQuery.document($0.metadata) }
        return try session.query("""
            SELECT vitrine_write_products(\(ids)::text[], \(names)::text[], \(descriptions)::text[], \(metadata)::text[],
                \(textDigests)::text[], \(imageDigests)::text[], \(imagePaths)::text[], \(widths)::int8[], \(heights)::int8[],
                \(models)::text[], \(fused)::bytea[], \(images)::bytea[], \(texts)::bytea[], \(sequences)::int8[],
                \(thumbnails)::bytea[], \(now), \(lexicalNames)::text[], \(lexicalDescriptions)::text[], \(lexicalMetadata)::text[])
            """).first?.decode(Int64.self) ?? 0
    }

    /// Deletes a product, leaving a tombstone at a fresh place in the write order; false when it
    /// had neither a row nor a pending job.
    static func delete(_ productID: String, in session: Session, order: inout WriteOrder) throws -> Bool {
        let found = try session.query("""
            SELECT EXISTS (SELECT 1 FROM product WHERE product_id = \(productID)),
                   (SELECT image_digest FROM product WHERE product_id = \(productID)),
                   EXISTS (SELECT 1 FROM job WHERE product_id = \(productID) AND status IN ('queued', 'processing'))
            """).first?.decode((Bool, String?, Bool).self)
        guard let found, found.0 || found.2 else { return false }
        let sequence = order.take()
        try session.query("DELETE FROM product WHERE product_id = \(productID)")
        try session.query("""
            INSERT INTO tombstone (product_id, seq, deleted_at, change_seq)
            VALUES (\(productID), \(sequence), \(Date().timeIntervalSince1970), \(sequence))
            ON CONFLICT (product_id) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at,
                change_seq = excluded.change_seq
            """)
        if let digest = found.1 { try releaseOriginals([digest], in: session) }
        return true
    }

    /// Removes the original images among `digests` that no product made from an upload and no job uses any more.
    static func releaseOriginals(_ digests: [String], in session: Session) throws {
        guard !digests.isEmpty else { return }
        try session.query("""
            DELETE FROM original WHERE digest = ANY(\(Array(Set(digests))))
                AND NOT EXISTS (SELECT 1 FROM product WHERE product.image_digest = original.digest AND product.image_path IS NULL)
                AND NOT EXISTS (SELECT 1 FROM job WHERE job.image_digest = original.digest)
            """)
    }

    /// The newest write that decided each product's fate: its stored write, or its tombstone (0 when neither).
    static func lastWrites(of productIDs: [String], in session: Session) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try session.query("""
            SELECT u.pid, GREATEST(COALESCE((SELECT applied_seq FROM product WHERE product_id = u.pid), 0),
                                   COALESCE((SELECT seq FROM tombstone WHERE product_id = u.pid), 0))
            FROM unnest(\(productIDs)::text[]) AS u(pid)
            """) {
            let (id, sequence) = try row.decode((String, Int64).self)
            result[id] = sequence
        }
        return result
    }

    /// Deletes tombstones older than `cutoff` that no pending job is older than, raising the
    /// feed's floor past them; returns how many.
    static func purgeTombstones(before cutoff: TimeInterval, in session: Session) throws -> Int {
        let purged = try session.query("""
            DELETE FROM tombstone WHERE deleted_at < \(cutoff) AND NOT EXISTS (
                SELECT 1 FROM job WHERE job.product_id = tombstone.product_id AND job.seq < tombstone.seq
                    AND job.status IN ('queued', 'processing'))
            RETURNING change_seq
            """).map { try $0.decode(Int64.self) }
        if let highest = purged.max() {
            try session.query("UPDATE vitrine_feed SET floor = GREATEST(floor, \(highest)) WHERE id = 1")
        }
        return purged.count
    }

    /// A product row (selected as ``productColumns``) as a record.
    static func record(_ row: PostgresRow) throws -> ProductRecord {
        let cells = row.makeRandomAccess()
        let fused = try vector(cells[10].decode(ByteBuffer.self))
        let image = try cells[11].decode(ByteBuffer?.self).map(vector)
        let text = try cells[12].decode(ByteBuffer.self)
        return ProductRecord(
            productID: try cells[0].decode(String.self), name: try cells[1].decode(String.self),
            description: try cells[2].decode(String.self), metadata: try cells[3].decode(String.self),
            textDigest: try cells[4].decode(String.self), imageDigest: try cells[5].decode(String?.self),
            imagePath: try cells[6].decode(String?.self), imageWidth: try cells[7].decode(Int?.self),
            imageHeight: try cells[8].decode(Int?.self), model: try cells[9].decode(String.self), fused: fused, image: image,
            text: text.readableBytes == 0 ? fused : try vector(text),
            createdAt: Date(timeIntervalSince1970: try cells[13].decode(Double.self)),
            updatedAt: Date(timeIntervalSince1970: try cells[14].decode(Double.self)),
            sequence: try cells[15].decode(Int64.self))
    }

    /// A stored vector's bytes.
    static func vector(_ buffer: ByteBuffer) throws(StoreError) -> [Float] {
        try VectorBlob.decode(Data(buffer.readableBytesView))
    }

    /// Bytes to bind.
    static func bytes(_ data: Data) -> ByteBuffer { ByteBuffer(bytes: data) }

    /// The SQL of a vector column of `kind`.
    static func column(_ kind: VectorKind) -> String {
        switch kind {
        case .fused: return "fused"
        case .text: return "(CASE WHEN length(text_vector) = 0 THEN fused ELSE text_vector END)"
        case .image: return "image_vector"
        }
    }
}
