/** Validation of the "leave your contact" form (ticket / callback when nobody is available). */

export interface ContactInput {
  email: string;
  phone: string;
  note: string;
}

export interface ContactResult {
  ok: boolean;
  errors: Partial<Record<"email" | "phone" | "form", "invalid_email" | "invalid_phone" | "need_one">>;
  value: { email?: string; phone?: string; note?: string };
}

const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,}$/;
const PHONE_CHARS_RE = /^\+?[\d\s().-]+$/;

/** Checks that at least one of email/phone is given and that what is given is well formed. */
export function validateContact(input: ContactInput): ContactResult {
  const email = input.email.trim();
  const phone = input.phone.trim();
  const note = input.note.trim().slice(0, 1000);
  const errors: ContactResult["errors"] = {};
  if (email === "" && phone === "") {
    errors.form = "need_one";
  }
  if (email !== "" && !EMAIL_RE.test(email)) {
    errors.email = "invalid_email";
  }
  if (phone !== "") {
    const digits = phone.replace(/\D/g, "");
    if (!PHONE_CHARS_RE.test(phone) || digits.length < 7 || digits.length > 15) {
      errors.phone = "invalid_phone";
    }
  }
  const value: ContactResult["value"] = {};
  if (email !== "") value.email = email;
  if (phone !== "") value.phone = phone;
  if (note !== "") value.note = note;
  return { ok: Object.keys(errors).length === 0, errors, value };
}
