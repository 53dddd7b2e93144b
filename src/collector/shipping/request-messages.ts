/**
 * The answers of the collector's request commands, spelled as flow-collector.txt prints them ("Verifying Your Work":
 * `request services flow-collector change-destination` and `test-file-transfer`).
 */

/** change-destination `primary` when only a primary server is configured (refused). */
export const DESTINATION_CHANGE_NOT_NEEDED = "Destination change not needed";
/** change-destination (or test-file-transfer) naming a server that is not configured (refused). */
export const DESTINATION_NOT_CONFIGURED = "Destination not configured";
/** change-destination accepted. */
export const DESTINATION_CHANGE_SUCCESSFUL = "Destination change successful";
/** test-file-transfer accepted: the upload runs in the background and its result lands in the transfer log. */
export const TEST_FILE_TRANSFER_SCHEDULED = "Test file transfer successfully scheduled";
/** test-file-transfer with a name that is not a plain file name (empty, `.`, `..`, a `/` or a control character). */
export const INVALID_TEST_FILE_NAME = "Invalid test file name";
