import { BadRequestException } from '@nestjs/common';

export interface CreateOrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface CreateOrderDto {
  customerEmail: string;
  lines: CreateOrderLine[];
}

/** Validate one line; called after the order row is inserted, so a bad line rolls it back. */
export function validateLine(line: unknown, index: number): CreateOrderLine {
  const l = line as Partial<CreateOrderLine> | null;
  const ok =
    l !== null &&
    typeof l === 'object' &&
    typeof l.sku === 'string' &&
    l.sku.length > 0 &&
    Number.isInteger(l.quantity) &&
    (l.quantity ?? 0) > 0 &&
    Number.isInteger(l.unitPriceCents) &&
    (l.unitPriceCents ?? -1) >= 0;
  if (!ok) {
    throw new BadRequestException(
      `lines[${index}] must be { sku: non-empty string, quantity: integer > 0, unitPriceCents: integer ≥ 0 }`,
    );
  }
  return l as CreateOrderLine;
}

export function validateOrder(body: unknown): CreateOrderDto {
  const b = body as Partial<CreateOrderDto> | null;
  if (!b || typeof b.customerEmail !== 'string' || !b.customerEmail.includes('@')) {
    throw new BadRequestException('customerEmail must be an e-mail address');
  }
  if (!Array.isArray(b.lines) || b.lines.length === 0) {
    throw new BadRequestException('lines must be a non-empty array');
  }
  return b as CreateOrderDto;
}
