package app.apimodels.core.privacy;

/**
 * One part of the service's contribution to a person's export ({@code GET /api/v1/account/export}):
 * it writes what its tables hold about the account as files of the archive. Each data owner (the
 * ledger, tasks, billing, sign-in…) has its own, registered at the engine's composition root, so a
 * new kind of personal data joins the export without touching the export itself.
 */
@FunctionalInterface
public interface ExportSection {

    /** Writes this part's files; everything is read inside the archive's one transaction. */
    void write(ExportArchive archive) throws Exception;
}
