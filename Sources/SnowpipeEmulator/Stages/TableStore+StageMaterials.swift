import Foundation
import GRDB
import StageStorage

/// The encryption material each PUT query handed out, kept beside the emulator's other memory: an object
/// uploaded before an emulator restart still decrypts after it (Snowflake keeps its keys too).
extension TableStore {
    static let stageMaterialSchema = """
        CREATE TABLE IF NOT EXISTS "_emulator_stage_materials" (
            query_id TEXT PRIMARY KEY, master_key TEXT NOT NULL, smk_id INTEGER NOT NULL);
        """

    func rememberStageMaterial(_ material: StageEncryptionMaterial) throws {
        try queue.write { db in
            try db.execute(sql: Self.stageMaterialSchema)
            try db.execute(
                sql: "INSERT OR REPLACE INTO _emulator_stage_materials (query_id, master_key, smk_id) VALUES (?, ?, ?)",
                arguments: [material.queryID, Data(material.masterKey).base64EncodedString(), material.smkID])
        }
    }

    func recallStageMaterials() throws -> [String: StageEncryptionMaterial] {
        try queue.write { db in
            try db.execute(sql: Self.stageMaterialSchema)
            var materials: [String: StageEncryptionMaterial] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT query_id, master_key, smk_id FROM _emulator_stage_materials") {
                let key = Data(base64Encoded: row[1] as String).map(Array.init) ?? []
                materials[row[0]] = StageEncryptionMaterial(masterKey: key, queryID: row[0], smkID: row[2])
            }
            return materials
        }
    }
}
