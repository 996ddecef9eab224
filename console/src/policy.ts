/**
 * The browser's check of a key policy before PutKeyPolicy: JSON, an object, with a Statement
 * (object or non-empty list of objects), at most 32 KiB as KMS allows. It catches typing
 * mistakes without a round trip; the server's own checks (MalformedPolicyDocumentException)
 * still decide, and their message is shown as it comes.
 */
export const MAX_POLICY_CHARS = 32_768;

export function checkPolicy(text: string): string | undefined {
  if (text.trim() === '') return 'The policy is empty.';
  if (text.length > MAX_POLICY_CHARS) return `The policy is ${text.length} characters long; KMS accepts at most ${MAX_POLICY_CHARS}.`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `The policy is not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'The policy must be a JSON object.';
  const statement = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (list.length === 0) return 'The policy has no Statement.';
  if (!list.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s))) return 'Each Statement must be a JSON object.';
  return undefined;
}
