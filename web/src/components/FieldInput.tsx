/**
 * One record field as a form control, by its kind from the API's field table. Labels are real
 * <label>s; hints and errors are tied to the control with aria-describedby.
 */
import type { TargetedEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import { fieldLabel, recordTitle, TYPE_LABELS } from '../labels';
import { fetchTitle } from '../records';
import { Link } from '../router';
import type { FieldMeta, ListItem, RecordJson, RecordType } from '../types';

export interface FieldInputProps {
  field: FieldMeta;
  value: unknown;
  onChange: (value: unknown) => void;
  readOnly: boolean;
  /** Why the field is read-only or what it is (shown under it). */
  hint?: string;
  error?: string;
  suggestions?: string[];
  /** Limits location and contact choices to this organization's. */
  organizationId?: string | null;
}

function describedBy(name: string, hint?: string, error?: string): string | undefined {
  const ids = [hint ? `hint-${name}` : '', error ? `error-${name}` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Hint({ name, hint, error }: { name: string; hint?: string; error?: string }) {
  return (
    <>
      {hint ? (
        <p id={`hint-${name}`} class="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`error-${name}`} class="field-error">
          {error}
        </p>
      ) : null}
    </>
  );
}

/** The label; the required mark sits beside it (the control itself says `required`). */
function Label({ field }: { field: FieldMeta }) {
  return (
    <span class="label-row">
      <label for={`field-${field.name}`}>{fieldLabel(field.name)}</label>
      {field.required ? (
        <span class="required" aria-hidden="true">
          *
        </span>
      ) : null}
    </span>
  );
}

export function FieldInput(props: FieldInputProps) {
  const { field, value, onChange, readOnly, hint, error, suggestions } = props;
  const id = `field-${field.name}`;
  const common = {
    id,
    name: field.name,
    'aria-describedby': describedBy(field.name, hint, error),
    'aria-invalid': error ? ('true' as const) : undefined,
  };
  switch (field.kind) {
    case 'boolean':
      return (
        <div class={`field field-boolean${readOnly ? ' is-readonly' : ''}`}>
          <input
            type="checkbox"
            {...common}
            checked={value === true}
            disabled={readOnly}
            onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
          />
          <Label field={field} />
          <Hint name={field.name} hint={hint} error={error} />
        </div>
      );
    case 'emails':
    case 'phones':
      return <ListField {...props} />;
    case 'ref':
      return (
        <div class={`field${readOnly ? ' is-readonly' : ''}`}>
          <Label field={field} />
          <RefSelect
            {...common}
            target={field.ref!}
            value={typeof value === 'string' ? value : null}
            required={field.required}
            readOnly={readOnly}
            organizationId={field.ref === 'organization' ? undefined : props.organizationId}
            onChange={onChange}
          />
          <Hint name={field.name} hint={hint} error={error} />
        </div>
      );
    case 'date':
    case 'text': {
      const text = typeof value === 'string' ? value : '';
      const onInput = (e: TargetedEvent<HTMLInputElement | HTMLTextAreaElement>) => {
        const v = e.currentTarget.value;
        onChange(v === '' && !field.required ? null : v);
      };
      const long = field.kind === 'text' && (field.maxLength ?? 255) > 255;
      const listId = suggestions?.length && !readOnly ? `list-${field.name}` : undefined;
      return (
        <div class={`field${long ? ' field-long' : ''}${readOnly ? ' is-readonly' : ''}`}>
          <Label field={field} />
          {long ? (
            <textarea {...common} value={text} readOnly={readOnly} rows={4} maxLength={field.maxLength ?? undefined} onInput={onInput} />
          ) : (
            <input
              {...common}
              type={field.kind === 'date' ? 'date' : 'text'}
              value={text}
              readOnly={readOnly}
              required={field.required}
              aria-required={field.required ? 'true' : undefined}
              maxLength={field.maxLength ?? undefined}
              list={listId}
              autoComplete="off"
              onInput={onInput}
            />
          )}
          {listId ? (
            <datalist id={listId}>
              {suggestions!.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          ) : null}
          <Hint name={field.name} hint={hint} error={error} />
        </div>
      );
    }
  }
}

interface RefSelectProps {
  id: string;
  name: string;
  target: RecordType;
  value: string | null;
  required: boolean;
  readOnly: boolean;
  organizationId?: string | null;
  onChange: (value: string | null) => void;
  'aria-describedby'?: string;
  'aria-invalid'?: 'true';
}

/** Choosing a referenced record: the first 200 (of the organization, for locations and contacts). */
function RefSelect(props: RefSelectProps) {
  const { target, value, readOnly, organizationId } = props;
  const [options, setOptions] = useState<Array<{ id: string; title: string }> | null>(null);
  const [currentTitle, setCurrentTitle] = useState<string>('');

  useEffect(() => {
    let live = true;
    if (value) void fetchTitle(target, value).then((t) => live && setCurrentTitle(t));
    else setCurrentTitle('');
    return () => {
      live = false;
    };
  }, [target, value]);

  useEffect(() => {
    if (readOnly) return;
    let live = true;
    const q = query({ pageSize: 200, organizationId: organizationId ?? undefined });
    api
      .get<RecordJson[]>(`/${TYPE_LABELS[target].path}${q}`)
      .then((res) => {
        if (!live) return;
        const list = res.data.map((r) => ({ id: r.id, title: recordTitle(r) }));
        list.sort((a, b) => a.title.localeCompare(b.title));
        setOptions(list);
      })
      .catch(() => live && setOptions([]));
    return () => {
      live = false;
    };
  }, [target, organizationId, readOnly]);

  if (readOnly) {
    return (
      <div class="ref-readonly">
        <input
          id={props.id}
          name={props.name}
          type="text"
          readOnly
          value={value ? currentTitle || '…' : '— None —'}
          aria-describedby={props['aria-describedby']}
        />
        {value ? (
          <Link href={`/${TYPE_LABELS[target].path}/${value}`} class="ref-open">
            Open<span class="visually-hidden"> {currentTitle}</span>
          </Link>
        ) : null}
      </div>
    );
  }

  const list = options ?? [];
  const hasCurrent = !value || list.some((o) => o.id === value);
  return (
    <select
      id={props.id}
      name={props.name}
      required={props.required}
      aria-describedby={props['aria-describedby']}
      aria-invalid={props['aria-invalid']}
      aria-busy={options === null ? 'true' : undefined}
      value={value ?? ''}
      onChange={(e) => {
        const v = (e.currentTarget as HTMLSelectElement).value;
        props.onChange(v === '' ? null : v);
      }}
    >
      <option value="">{props.required ? `— Choose ${TYPE_LABELS[target].one.toLowerCase()} —` : '— None —'}</option>
      {!hasCurrent && value ? <option value={value}>{currentTitle || '…'}</option> : null}
      {list.map((o) => (
        <option key={o.id} value={o.id}>
          {o.title}
        </option>
      ))}
    </select>
  );
}

/** Emails or phones: rows of value, type and a primary choice. */
function ListField({ field, value, onChange, readOnly, hint, error, suggestions }: FieldInputProps) {
  const items: ListItem[] = Array.isArray(value) ? (value as ListItem[]) : [];
  const noun = field.kind === 'emails' ? 'email' : 'phone';
  const Noun = field.kind === 'emails' ? 'Email' : 'Phone';
  const listId = suggestions?.length ? `list-${field.name}` : undefined;
  const update = (index: number, change: Partial<ListItem>) => {
    const next = items.map((item, i) => {
      if (change.primary) return { ...item, primary: i === index };
      return i === index ? { ...item, ...change } : item;
    });
    onChange(next);
  };
  return (
    <fieldset id={`field-${field.name}`} class={`field field-list${readOnly ? ' is-readonly' : ''}`} aria-describedby={describedBy(field.name, hint, error)}>
      <legend>{fieldLabel(field.name)}</legend>
      {items.length === 0 ? <p class="muted">No {noun}s.</p> : null}
      {listId && !readOnly ? (
        <datalist id={listId}>
          {suggestions!.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      ) : null}
      {items.map((item, index) => (
        <div class="list-row" key={index}>
          <div class="list-value">
            <label for={`field-${field.name}-${index}`}>
              {Noun} {index + 1}
            </label>
            {field.kind === 'emails' ? (
              <input
                id={`field-${field.name}-${index}`}
                type="email"
                value={item.value}
                readOnly={readOnly}
                onInput={(e) => update(index, { value: e.currentTarget.value })}
              />
            ) : (
              <input
                id={`field-${field.name}-${index}`}
                type="tel"
                value={item.value}
                readOnly={readOnly}
                onInput={(e) => update(index, { value: e.currentTarget.value })}
              />
            )}
          </div>
          <div class="list-label">
            <label for={`field-${field.name}-${index}-label`}>Type</label>
            <input
              id={`field-${field.name}-${index}-label`}
              type="text"
              value={item.label ?? ''}
              readOnly={readOnly}
              list={readOnly ? undefined : listId}
              autoComplete="off"
              onInput={(e) => update(index, { label: e.currentTarget.value || null })}
            />
          </div>
          <div class="list-primary">
            <input
              id={`field-${field.name}-${index}-primary`}
              type="radio"
              name={`${field.name}-primary`}
              checked={item.primary}
              disabled={readOnly}
              onChange={() => update(index, { primary: true })}
            />
            <label for={`field-${field.name}-${index}-primary`}>
              Primary<span class="visually-hidden"> {noun} {index + 1}</span>
            </label>
          </div>
          {readOnly ? null : (
            <button
              type="button"
              class="button secondary small"
              onClick={() => onChange(items.filter((_, i) => i !== index))}
            >
              Remove<span class="visually-hidden"> {noun} {index + 1}</span>
            </button>
          )}
        </div>
      ))}
      {readOnly ? null : (
        <button
          type="button"
          class="button secondary small"
          onClick={() => onChange([...items, { value: '', label: null, primary: items.length === 0 }])}
        >
          Add {noun}
        </button>
      )}
      <Hint name={field.name} hint={hint} error={error} />
    </fieldset>
  );
}
